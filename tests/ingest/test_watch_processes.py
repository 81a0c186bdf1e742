"""`tuirag watch` as a real process: one writer with readers beside it, and kill -9 recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import write
from tests.watch_helpers import (
    Daemon,
    assert_consistent,
    disk_files,
    fast_watch_settings,
    indexed_text,
    real_folder,
    settle,
    wait_until,
    watching,
)
from tuirag.backends.lock import WriterLock
from tuirag.config import Settings
from tuirag.ingest.events import Idle
from tuirag.services import Services

pytestmark = pytest.mark.timeout(240)

CONFIG = """
[watch]
debounce_ms = 150
reconcile_minutes = 0
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write(tmp_path / "config.toml", CONFIG)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fast_watch_settings(tmp_path / "data")  # the same index as the daemon's


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return real_folder(tmp_path)


@pytest.fixture
def daemon(config: Path, docs: Path) -> Iterator[Daemon]:
    d = Daemon(config, docs)
    yield d
    d.stop()


def tuirag(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tuirag", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "500"},
    )


def test_daemon_writes_while_others_read_and_the_reader_takes_over(
    services: Services, config: Path, docs: Path, daemon: Daemon
) -> None:
    write(docs / "a.md", "# Harbour\n\nThe ferry leaves the harbour at dawn.\n")
    daemon.wait_logged("up to date")
    pid = str(daemon.proc.pid)
    with watching(services, [docs], refresh_s=0.2) as (bg, rec):
        # this process (as the TUI would) finds the lock taken and only reads
        assert bg.writer_pid == daemon.proc.pid
        assert any(f"indexing is done by pid {pid}" in n for n in rec.notices())

        busy = tuirag(config, "ingest", str(docs))
        assert busy.returncode == 3
        assert busy.stderr.count("\n") == 1 and f"pid {pid}" in busy.stderr
        assert "Traceback" not in busy.stderr

        write(docs / "b.md", "# Lighthouse\n\nThe lighthouse keeper polishes the lens.\n")
        write(docs / ".env", "TOKEN=1\n")  # a secret: never even queued
        (docs / "a.md").unlink()
        daemon.wait_logged("indexed", str(docs / "b.md"), "(1 chunks, 1 embedded)")
        daemon.wait_logged("removed", str(docs / "a.md"))
        assert not daemon.logged(".env")
        found = tuirag(config, "search", "who polishes the lens", "--json", "-k", "1")
        assert found.returncode == 0, found.stderr
        assert json.loads(found.stdout)[0]["path"] == str(docs / "b.md")
        # the reader's store follows the daemon's writes without reopening
        wait_until(
            lambda: (
                services.retriever.search("lighthouse keeper lens", 1).hits[0].path
                == str(docs / "b.md")
            ),
            what="the reader to see the daemon's write",
        )

        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.proc.wait(30) == 0
        assert daemon.logged("stopped")
        wait_until(lambda: bg.writer_pid is None, what="the reader to take over")
        assert any("indexing here now" in n for n in rec.notices())
        write(docs / "c.md", "# Tides\n\nSpring tides follow the full moon.\n")
        wait_until(lambda: rec.outcomes("indexed", docs / "c.md"), what="indexing here")
        settle(bg, rec)
        assert set(indexed_text(services.store)) == disk_files(docs)
        assert_consistent(services.store)
    with WriterLock(services.store.folder):  # stopping released the lock
        pass


def test_kill_9_during_a_large_ingest_then_reconcile_matches_the_disk(
    services: Services, config: Path, docs: Path
) -> None:
    for i in range(300):
        write(docs / f"d{i // 50}" / f"n{i:03}.md", f"# Note {i}\n\nFact number {i} about ferns.\n")
    daemon = Daemon(config, docs)
    try:
        daemon.wait_logged("indexed", timeout=90)
        wait_until(lambda: len(daemon.logged("indexed")) >= 64, 60, "a first batch written")
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(10)
    finally:
        daemon.stop()
    assert not daemon.logged("up to date"), "the scan finished before the kill; nothing tested"
    # while nothing watched: delete, edit and add files
    for i in range(0, 300, 30):
        (docs / f"d{i // 50}" / f"n{i:03}.md").unlink()
    for i in range(5, 300, 30):
        write(docs / f"d{i // 50}" / f"n{i:03}.md", f"# Note {i}\n\nRevised fact {i}.\n")
    for i in range(10):
        write(docs / "added" / f"a{i}.md", f"# Added {i}\n\nWritten while down {i}.\n")

    with watching(services, [docs]) as (bg, rec):
        assert isinstance(rec.snapshot()[-1], Idle)
        store = services.store
        text = indexed_text(store)
        assert set(text) == disk_files(docs)  # nothing missing, nothing deleted left over
        assert set(store.file_records()) == disk_files(docs)
        assert "Revised fact 35." in text[str(docs / "d0" / "n035.md")]
        assert_consistent(store)  # no duplicate chunks, chunk counts match the records
        assert bg.pending == 0
