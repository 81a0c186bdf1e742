"""The import rules docs/ARCHITECTURE.md states, checked on the source."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "tuirag"
ARCHITECTURE = Path(__file__).parents[1] / "docs" / "ARCHITECTURE.md"
UI = ("tuirag.app", "tuirag.screens", "tuirag.widgets")
CORE = ("tuirag.ingest", "tuirag.formats", "tuirag.plugins", "tuirag.backends", "tuirag.search")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. tuirag.ingest.pipeline
    target: str  # what it imports, e.g. tuirag.backends.store
    typing_only: bool  # under `if TYPE_CHECKING:`


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> list[Import]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_nodes = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for stmt in block.body
            for node in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                base = node.module
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            found += [Import(module, t, id(node) in typing_nodes) for t in targets]
    return found


IMPORTS = _imports()


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _offenders(
    importers: tuple[str, ...],
    targets: tuple[str, ...],
    runtime_only: bool = False,
    outside: bool = False,
) -> list[str]:
    """Imports of `targets` by modules in `importers` (with `outside`: by all other modules)."""
    return sorted(
        {
            f"{i.module} imports {i.target}"
            for i in IMPORTS
            if _within(i.module, importers) != outside
            and _within(i.target, targets)
            and not (runtime_only and i.typing_only)
        }
    )


def test_the_source_was_read() -> None:
    modules = {i.module for i in IMPORTS}
    assert {"tuirag.app", "tuirag.ingest.pipeline", "tuirag.backends.store"} <= modules


def test_only_the_ui_imports_textual() -> None:
    assert _offenders(UI, ("textual",), outside=True) == []


def test_only_the_store_imports_lancedb() -> None:
    assert _offenders(("tuirag.backends.store",), ("lancedb",), outside=True) == []


def test_the_core_imports_neither_services_nor_the_uis() -> None:
    assert _offenders(CORE, ("tuirag.services", "tuirag.cli", *UI)) == []


def test_backends_know_nothing_of_ingest_search_or_answers() -> None:
    higher = ("tuirag.ingest", "tuirag.search", "tuirag.answer", "tuirag.formats")
    assert _offenders(("tuirag.backends",), higher) == []


def test_formats_use_only_the_plugin_api_and_their_shared_helpers() -> None:
    allowed = ("tuirag.formats", "tuirag.plugins.base", "tuirag.types", "tuirag.text")
    used = {i.target for i in IMPORTS if i.module.startswith("tuirag.formats.")}
    assert sorted(t for t in used if t.startswith("tuirag.") and not _within(t, allowed)) == []


def test_screens_and_widgets_import_the_app_only_for_typing() -> None:
    ui = ("tuirag.screens", "tuirag.widgets")
    assert _offenders(ui, ("tuirag.app",), runtime_only=True) == []


def test_only_the_cli_and_the_entry_point_import_the_cli() -> None:
    cli = ("tuirag.cli", "tuirag.__main__")
    assert _offenders(cli, ("tuirag.cli",), outside=True) == []


@pytest.mark.parametrize(
    "package",
    ["ingest", "formats", "plugins", "backends", "search", "answer", "screens", "widgets"],
)
def test_every_package_the_map_names_exists(package: str) -> None:
    assert (PACKAGE / package / "__init__.py").exists()
    assert f"tuirag/{package}/" in ARCHITECTURE.read_text(encoding="utf-8")
