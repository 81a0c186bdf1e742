"""Parsing in a child process: hangs, memory blow-ups and crashes cost one file, not the run."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin_files import manual_pdf, prices_xlsx
from tuirag.formats.text import TextPlugin
from tuirag.ingest.parse import IsolatedParser, ParseFailed
from tuirag.plugins.base import FormatPlugin
from tuirag.types import Section


class HangPlugin(FormatPlugin):
    """Loops forever, like pdfminer on some PDFs."""

    name = "hang"
    extensions = (".hang",)

    def load(self, path: Path) -> Iterator[Section]:
        while True:
            time.sleep(0.05)
        yield


class HogPlugin(FormatPlugin):
    """Allocates far more than the memory limit."""

    name = "hog"
    extensions = (".hog",)

    def load(self, path: Path) -> Iterator[Section]:
        blocks = [bytearray(64 * 2**20) for _ in range(64)]  # 4 GiB
        yield Section(text=str(len(blocks)))


class CrashPlugin(FormatPlugin):
    """Dies in native code."""

    name = "crash"
    extensions = (".crash",)

    def load(self, path: Path) -> Iterator[Section]:
        os.kill(os.getpid(), signal.SIGSEGV)
        yield


class PidPlugin(FormatPlugin):
    name = "pid"
    extensions = (".pid",)

    def load(self, path: Path) -> Iterator[Section]:
        yield Section(text=f"parsed in {os.getpid()}: {path.read_text()}")


@pytest.fixture
def parser() -> Iterator[IsolatedParser]:
    p = IsolatedParser(timeout_s=3, memory_mb=1024)
    yield p
    p.close()


def test_a_hanging_parser_is_stopped_and_the_next_file_parses(tmp_path: Path, parser) -> None:
    (tmp_path / "a.hang").write_text("x")
    (tmp_path / "b.pid").write_text("fine")
    started = time.monotonic()
    with pytest.raises(ParseFailed, match=r"longer than 3 s and was stopped"):
        parser(HangPlugin(), tmp_path / "a.hang")
    assert time.monotonic() - started < 10
    (section,) = parser(PidPlugin(), tmp_path / "b.pid")
    assert section.text.endswith(": fine")
    assert f"parsed in {os.getpid()}" not in section.text  # it ran in the child


def test_memory_limit_and_crash_are_one_line_each(tmp_path: Path, parser) -> None:
    (tmp_path / "a.hog").write_text("x")
    (tmp_path / "b.crash").write_text("x")
    with pytest.raises(ParseFailed, match="ran out of memory"):
        parser(HogPlugin(), tmp_path / "a.hog")
    with pytest.raises(ParseFailed, match=r"crashed \(SIGSEGV\).*parsing.memory_mb"):
        parser(CrashPlugin(), tmp_path / "b.crash")
    (tmp_path / "c.pid").write_text("after")
    assert parser(PidPlugin(), tmp_path / "c.pid")[0].text.endswith(": after")


def test_one_child_serves_many_files_and_text_stays_in_process(tmp_path: Path, parser) -> None:
    pids = set()
    for i in range(3):
        (tmp_path / f"{i}.pid").write_text(str(i))
        pids.add(parser(PidPlugin(), tmp_path / f"{i}.pid")[0].text.split(":")[0])
    assert len(pids) == 1
    (tmp_path / "t.txt").write_text("plain text")
    assert parser(TextPlugin(), tmp_path / "t.txt")[0].text == "plain text"


def test_a_child_that_exited_on_idle_is_replaced(tmp_path: Path) -> None:
    parser = IsolatedParser(timeout_s=5, memory_mb=1024, idle_s=0.2)
    try:
        (tmp_path / "a.pid").write_text("one")
        first = parser(PidPlugin(), tmp_path / "a.pid")[0].text.split(":")[0]
        deadline = time.monotonic() + 10
        while parser._proc is not None and parser._proc.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = parser(PidPlugin(), tmp_path / "a.pid")[0].text.split(":")[0]
        assert first != second
    finally:
        parser.close()


def test_bad_files_each_get_one_reason_and_the_folder_is_indexed(services, docs: Path) -> None:
    services.settings.index.max_file_mb = 1
    manual_pdf(docs / "good.pdf")
    prices_xlsx(docs / "good.xlsx")
    (docs / "good.md").write_text("# Notes\n\nThe backup runs nightly at two.\n")
    (docs / "empty.pdf").write_bytes(b"")
    (docs / "cut.pdf").write_bytes((docs / "good.pdf").read_bytes()[:900])
    (docs / "text.pdf").write_text("this is plain text with a .pdf name")
    manual_pdf(docs / "locked.pdf", password="hunter2")
    (docs / "latin.csv").write_bytes("name,city\nJosé,Málaga\n".encode("latin-1"))
    (docs / "giant.csv").write_text("a,b\n" + "1,2\n" * 400_000)
    report = services.indexer([docs]).sync([docs])
    reasons = {Path(o.path).name: o.reason for o in report.outcomes if o.status != "indexed"}
    assert reasons == {
        "empty.pdf": "empty file",
        "cut.pdf": reasons["cut.pdf"],
        "text.pdf": "not a PDF (no %PDF header): the file is mislabeled or damaged",
        "locked.pdf": "encrypted PDF: it needs a password (the empty one did not work); skipped",
        "giant.csv": "larger than the 1 MB limit (index.max_file_mb)",
    }
    assert reasons["cut.pdf"].startswith("damaged or unreadable PDF")
    assert {Path(o.path).name for o in report.outcomes if o.status == "indexed"} == {
        "good.pdf", "good.xlsx", "good.md", "latin.csv",  # latin-1 is read, with a note
    }  # fmt: skip
    assert all("\n" not in r for r in reasons.values())
