"""`tuirag watch` as a lean supervisor plus an indexing process it starts when something
changes (issue 10: an idle watcher under 200 MiB): real processes, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import write
from tests.watch_helpers import Daemon, children, real_folder, wait_until
from tuirag.backends.lock import WriterLock
from tuirag.ingest import summary
from tuirag.services import Services

pytestmark = pytest.mark.timeout(240)

# native libraries an idle watcher must not hold: LanceDB, Arrow, ONNX Runtime
HEAVY = ("_lancedb", "libarrow", "onnxruntime")


def config(tmp_path: Path, idle_s: float, folders: list[Path] | None = None) -> Path:
    text = f"[watch]\ndebounce_ms = 150\nreconcile_minutes = 0\nindexer_idle_s = {idle_s}\n"
    if folders is not None:
        text += f"[index]\nfolders = {json.dumps([str(f) for f in folders])}\n"
    return write(tmp_path / "config.toml", text)


def search(config: Path, question: str) -> str:
    found = subprocess.run(
        [sys.executable, "-m", "tuirag", "--config", str(config), "search", question, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stderr
    return json.loads(found.stdout)[0]["path"]


def mapped(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return real_folder(tmp_path)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for d in started:
        d.stop()
        for pid in children(d.proc.pid):  # an indexer left behind fails the test below
            os.kill(pid, signal.SIGKILL)


def test_an_idle_watch_ends_its_indexer_and_a_change_starts_one(
    tmp_path: Path, docs: Path, daemons: list[Daemon], services: Services
) -> None:
    write(docs / "a.md", "# Harbour\n\nThe ferry leaves the harbour at dawn.\n")
    cfg = config(tmp_path, 1)
    daemon = Daemon(cfg, docs)
    daemons.append(daemon)
    daemon.wait_logged("up to date: 1 files, 1 chunks")
    wait_until(lambda: daemon.worker() is None, 30, "the idle indexer to end")
    services.retriever.search("ferry", 1)  # this process: the names are right
    assert all(h in mapped(os.getpid()) for h in HEAVY)
    supervisor = mapped(daemon.proc.pid)
    assert not [h for h in HEAVY if h in supervisor], "the idle watcher holds LanceDB/ONNX"
    # it still holds the index: the lock names the watcher, and another writer is refused
    assert WriterLock(services.store.folder).holder() == daemon.proc.pid
    busy = subprocess.run(
        [sys.executable, "-m", "tuirag", "--config", str(cfg), "ingest", str(docs)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert busy.returncode == 3 and f"pid {daemon.proc.pid}" in busy.stderr, busy.stderr

    write(docs / "b.md", "# Lighthouse\n\nThe lighthouse keeper polishes the lens.\n")
    daemon.wait_logged("indexed", str(docs / "b.md"))  # by a new indexing process
    assert search(cfg, "who polishes the lens") == str(docs / "b.md")
    daemon.wait_logged("up to date: 2 files, 2 chunks")

    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(30) == 0
    assert daemon.lines[-1].endswith("stopped")
    with WriterLock(services.store.folder):  # both processes let go of the lock
        pass


def test_killing_the_watcher_ends_its_indexer_at_once(
    tmp_path: Path, docs: Path, daemons: list[Daemon], services: Services
) -> None:
    for i in range(120):  # enough work that the indexer is busy when the watcher dies
        write(docs / f"n{i:03}.md", f"# Note {i}\n\nFact number {i} about ferns and moss.\n")
    daemon = Daemon(config(tmp_path, 30), docs)
    daemons.append(daemon)
    daemon.wait_logged("indexed", timeout=90)
    worker = wait_until(daemon.worker, what="the indexing process")
    folder = services.store.folder

    def progress_pid() -> int | None:
        state = summary.read(folder)
        return state.progress.pid if state and state.progress else None

    # `status` and no-match messages name the watcher (the pid in the lock), not its worker
    assert wait_until(progress_pid, 60, "a running pass in the summary") == daemon.proc.pid
    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait(10)
    wait_until(lambda: not Path(f"/proc/{worker}").exists(), 10, "the orphaned indexer to end")
    with WriterLock(folder):  # the lock is free for the next writer
        pass


def test_a_lost_indexer_is_started_again_with_a_rescan(
    tmp_path: Path, docs: Path, daemons: list[Daemon]
) -> None:
    write(docs / "a.md", "# Harbour\n\nThe ferry leaves the harbour at dawn.\n")
    cfg = config(tmp_path, 0)  # the indexer stays: only a crash ends it
    daemon = Daemon(cfg, docs)
    daemons.append(daemon)
    daemon.wait_logged("up to date: 1 files, 1 chunks")
    lost = wait_until(daemon.worker, what="the indexing process")
    os.kill(lost, signal.SIGKILL)  # as the OOM killer would
    write(docs / "c.md", "# Tides\n\nSpring tides follow the full moon.\n")
    daemon.wait_logged("indexing process ended (signal 9); starting it again with a rescan")
    daemon.wait_logged("indexed", str(docs / "c.md"))
    assert search(cfg, "when are spring tides") == str(docs / "c.md")
    assert daemon.proc.poll() is None  # the watch itself carries on


def test_a_folder_removed_while_the_indexer_is_lost_is_still_forgotten(
    tmp_path: Path, daemons: list[Daemon], services: Services
) -> None:
    keep, drop = real_folder(tmp_path, "keep"), real_folder(tmp_path, "drop")
    write(keep / "a.md", "# Harbour\n\nThe ferry leaves the harbour at dawn.\n")
    write(drop / "b.md", "# Lighthouse\n\nThe lighthouse keeper polishes the lens.\n")
    daemon = Daemon(config(tmp_path, 0, [keep, drop]))
    daemons.append(daemon)
    daemon.wait_logged("up to date: 2 files, 2 chunks")
    worker = wait_until(daemon.worker, what="the indexing process")
    os.kill(worker, signal.SIGSTOP)  # it cannot read what comes next
    config(tmp_path, 0, [keep])  # the folder is removed from the config...
    daemon.wait_logged("config reloaded: no longer watching", str(drop))
    time.sleep(1)  # ...and the supervisor has written "remove" into the stopped pipe
    os.kill(worker, signal.SIGKILL)  # the message dies with it
    daemon.wait_logged("starting it again with a rescan")

    def forgotten() -> bool:
        services.store.refresh()
        return set(services.store.file_records()) == {str(keep / "a.md")}

    wait_until(forgotten, 60, "the removed folder's files to be forgotten")
