"""The app's pure parts: opening a cited file, preview context, `tuirag [FOLDER...]`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import write
from tuirag.cli.main import COMMANDS, default_to_app, main
from tuirag.screens.preview import chunk_blocks, line_blocks, open_command
from tuirag.types import Hit


def _hit(**kw) -> Hit:
    return Hit(**{"path": "/d/a b.md", "text": "t", "score": 0.5, "chunk_id": "c", **kw})


def test_open_command_uses_the_editor_at_the_cited_line() -> None:
    hit = _hit(start_line=42, end_line=50)
    assert open_command(hit, {"EDITOR": "nvim -R"}) == ["nvim", "-R", "+42", "/d/a b.md"]
    assert open_command(hit, {"VISUAL": "emacs", "EDITOR": "vi"})[0] == "emacs"
    assert open_command(hit, {}) == ["less", "+42g", "/d/a b.md"]
    assert open_command(_hit(page=3), {"PAGER": "more"}) == ["more", "/d/a b.md"]


def test_line_blocks_highlight_the_cited_lines_with_context(tmp_path: Path) -> None:
    path = write(tmp_path / "f.txt", "\n".join(f"line {n}" for n in range(1, 201)))
    blocks = line_blocks(path, 100, 102)
    assert [b.match for b in blocks] == [False, True, False]
    assert blocks[1].text.plain.splitlines() == ["100 line 100", "101 line 101", "102 line 102"]
    assert blocks[0].text.plain.splitlines()[0] == " 40 line 40"  # 60 lines of context
    (tmp_path / "x.pdf").write_bytes(b"%PDF\xff\xfe binary")
    assert line_blocks(tmp_path / "x.pdf", 1, 1) is None  # not text: the chunks are shown


def test_chunk_blocks_mark_the_cited_chunk_and_keep_markup_literal() -> None:
    chunks = [
        _hit(chunk_id="a", text="[bold]one[/]", page=1),
        _hit(chunk_id="b", text="two \x1b]52;c;eA==\x07", page=2),
    ]
    blocks = chunk_blocks(chunks[1], chunks)
    assert [b.match for b in blocks] == [False, True]
    assert blocks[0].text.plain == "p. 1\n[bold]one[/]"
    assert blocks[1].text.plain == "p. 2\ntwo ]52;c;eA=="


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["app"]),
        (["~/docs", "~/notes"], ["app", "~/docs", "~/notes"]),
        (["--config", "c.toml"], ["--config", "c.toml", "app"]),
        (["--config=c.toml", "/tmp"], ["--config=c.toml", "app", "/tmp"]),
        (["search", "q"], ["search", "q"]),
        (["--help"], ["--help"]),
        (["--version"], ["--version"]),
    ],
)
def test_bare_paths_open_the_app(argv: list[str], expected: list[str]) -> None:
    assert default_to_app(argv) == expected


def test_app_with_a_missing_folder_says_so(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([str(tmp_path / "nope")]) == 1
    assert f"not a folder: {tmp_path / 'nope'}" in capsys.readouterr().err


def test_an_unknown_theme_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = write(tmp_path / "bad.toml", '[ui]\ntheme = "neon"\n')
    assert main(["--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "ui.theme = 'neon' is not a theme; try 'textual-dark'" in err
    assert "Traceback" not in err


def test_help_still_lists_the_commands(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "app" in out and "ingest" in out and "search" in out


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport sys\nprint('MODULES', *sorted(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.rpartition("MODULES")[2].split())


def test_opening_the_app_imports_only_what_its_first_frame_draws() -> None:
    """The index, the model and the Ollama client load after the first frame; the other
    screens, Markdown (markdown-it, Pygments) and the other commands when first used."""
    loaded = _loaded_after(
        "from tuirag.cli.main import build_parser\nbuild_parser('app')\nimport tuirag.app"
    )
    deferred = {
        *("lancedb", "pyarrow", "numpy", "fastembed", "onnxruntime", "tokenizers"),
        *("ollama", "httpx", "unstructured", "markdown_it", "pygments"),
        *("tuirag.screens.index", "tuirag.screens.models", "tuirag.screens.sessions"),
        "tuirag.screens.preview",
        *("textual.widgets._markdown", "textual.widgets._data_table"),
    }
    assert sorted(deferred & loaded) == []
    assert sorted(m for m in loaded if m.startswith("tuirag.cli.")) == [
        "tuirag.cli.app_cmd",
        "tuirag.cli.main",
    ]


@pytest.mark.parametrize(
    ("argv", "imported"),
    [(["--help"], []), (["status", "--help"], ["status"]), (["config", "--help"], ["config_cmd"])],
)
def test_a_command_imports_only_its_own_module(argv: list[str], imported: list[str]) -> None:
    loaded = _loaded_after(
        f"from tuirag.cli.main import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    )
    commands = {f"tuirag.cli.{module}" for module, _ in COMMANDS.values()}
    assert sorted(m.removeprefix("tuirag.cli.") for m in commands & loaded) == imported
