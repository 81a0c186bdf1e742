"""A third-party plugin found through a real entry point: listed, configured, indexed."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuirag.cli.main import main
from tuirag.plugins.base import FormatPlugin
from tuirag.plugins.registry import load_registry
from tuirag.types import Section

PACKAGE = Path(__file__).parents[1] / "fixtures" / "thirdparty_plugin"


class ShoutPlugin(FormatPlugin):
    """A second claimant for .recipe files, to show who wins."""

    name = "shout"
    extensions = (".recipe",)
    priority = 10

    def load(self, path: Path) -> Iterator[Section]:
        yield Section(text=path.read_text().upper())


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Register the fixture package as an installed distribution: a dist-info on sys.path."""
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    site = tmp_path / "site"
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    points = project["entry-points"]["tuirag.plugins"]
    points |= {
        "shout": "tests.plugins.test_plugins_thirdparty:ShoutPlugin",
        "broken": "tuirag_recipes:Missing",
    }
    (info / "entry_points.txt").write_text(
        "[tuirag.plugins]\n" + "".join(f"{k} = {v}\n" for k, v in points.items())
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(PACKAGE))
    return site


def _write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    monkeypatch.setenv("TUIRAG_CONFIG", str(config))


def test_plugins_command_lists_it_and_reports_the_broken_one(
    installed, tmp_path, monkeypatch, capsys
) -> None:
    _write_config(tmp_path, monkeypatch, "[plugins.pdf]\nenabled = false\n")
    assert main(["plugins", "--json"]) == 1  # one plugin failed to load
    data = json.loads(capsys.readouterr().out)
    rows = {p["name"]: p for p in data["plugins"]}
    assert rows["recipes"]["status"] == "loaded" and rows["recipes"]["types"] == [".recipe"]
    assert rows["recipes"]["priority"] == 50 and "(tuirag-recipes)" in rows["recipes"]["source"]
    assert rows["broken"]["status"] == "failed" and "Missing" in rows["broken"]["error"]
    assert rows["pdf"]["status"] == "disabled"
    assert rows["tables"]["status"] == "loaded" and ".xlsx" in rows["tables"]["types"]
    assert data["contested"][".recipe"] == ["recipes", "shout"]
    main(["plugins"])
    out = capsys.readouterr().out
    assert "broken failed to load: AttributeError" in out
    assert ".recipe: recipes wins over shout" in out


def test_who_wins_follows_priority_from_config(installed) -> None:
    path = Path("dinner.recipe")
    assert load_registry().for_path(path).name == "recipes"
    assert load_registry({"shout": {"priority": 90}}).for_path(path).name == "shout"
    assert load_registry({"recipes": {"enabled": False}}).for_path(path).name == "shout"


def test_its_files_are_indexed_with_its_options(installed, services, docs: Path) -> None:
    services.settings.plugins = {"recipes": {"unit": "grams"}}
    (docs / "dinner.recipe").write_text(
        "# Pancakes\nflour 200, milk 300, two eggs\n# Lemonade\nlemons 4, sugar 80, water 1000\n"
    )
    (docs / "notes.md").write_text("# Notes\n\nNothing about food here.\n")
    report = services.indexer([docs]).sync([docs])
    assert {Path(o.path).name: o.status for o in report.outcomes} == {
        "dinner.recipe": "indexed",
        "notes.md": "indexed",
    }
    hits = services.retriever.search("how much sugar goes into lemonade", 3, "hybrid").hits
    hit = next(h for h in hits if h.path.endswith("dinner.recipe"))
    assert hit.plugin == "recipes" and hit.heading == "Lemonade" and hit.start_line == 3
    assert hit.text == "lemons 4, sugar 80, water 1000\n(quantities in grams)"


def test_doctor_reports_the_plugin_that_failed(installed, capsys) -> None:
    main(["doctor"])
    out = capsys.readouterr().out
    assert "plugin broken: failed to load: AttributeError" in out
    assert "plugin recipes" not in out  # the working ones are not flagged
