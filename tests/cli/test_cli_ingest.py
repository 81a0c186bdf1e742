"""`tuirag ingest FOLDER` as a newcomer runs it: the folder joins the config, and a log
(stdout not a terminal) gets progress lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from tests.helpers import write
from tuirag import config
from tuirag.cli.ingest import ProgressLines
from tuirag.cli.main import main
from tuirag.types import FileOutcome

pytestmark = pytest.mark.timeout(180)


def test_ingest_adds_the_folder_to_the_config_once(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(docs / "a.md", "# Alpha\n\nApples.\n")
    write(docs / "sub" / "b.md", "# Beta\n\nBananas.\n")
    elsewhere = write(tmp_path / "once" / "c.md", "# Gamma\n\nGrapes.\n").parent

    assert main(["ingest", str(docs)]) == 0
    path = config.load().source
    assert f"added {docs} to index.folders in {path}" in capsys.readouterr().err
    assert config.load().index.folders == [str(docs)]

    assert main(["ingest", str(docs / "sub")]) == 0  # inside a listed folder: covered
    assert main(["ingest", "--no-save", str(elsewhere)]) == 0
    assert "added" not in capsys.readouterr().err
    assert config.load().index.folders == [str(docs)]


def test_ingest_into_a_log_prints_progress_lines(
    docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(230):
        write(docs / f"note{n:03}.md", f"# Note {n}\n\nThis is note number {n}.\n")
    assert main(["ingest", "--no-save", str(docs)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "indexing 230 files"
    assert [line.split(" (")[0] for line in out[1:3]] == [
        "indexed 100 of 230 files",
        "indexed 200 of 230 files",
    ]
    assert out[3].startswith("230 indexed")


def test_progress_lines_come_every_30_seconds_on_a_slow_folder() -> None:
    now = [0.0]
    text = io.StringIO()
    lines = ProgressLines(Console(file=text), clock=lambda: now[0])
    lines.plan(50)
    for n in range(1, 50):
        now[0] = n * 7.0  # a slow file every 7 s
        lines.taken(f"/d/{n}")
        lines.step(FileOutcome(f"/d/{n}", "indexed", chunks=2))
    printed = text.getvalue().splitlines()
    assert printed[0] == "indexing 50 files"
    assert [line.split(" (")[0] for line in printed[1:3]] == [
        "indexed 5 of 50 files",
        "indexed 10 of 50 files",
    ]
    assert len(printed) == 1 + 49 * 7 // 35
