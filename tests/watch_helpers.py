"""Helpers for the watch tests: record index events, poll with a timeout, read the index."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tuirag.backends.store import Store
from tuirag.config import Settings
from tuirag.ingest.background import BackgroundIndexer
from tuirag.ingest.events import Done, Idle, IndexEvent, Notice, Stopped
from tuirag.services import Services
from tuirag.types import FileOutcome


class Recorder:
    """A listener that keeps every event (called on the indexing thread)."""

    def __init__(self, also: Callable[[IndexEvent], None] | None = None) -> None:
        self.events: list[IndexEvent] = []
        self._lock = threading.Lock()
        self.also = also

    def __call__(self, event: IndexEvent) -> None:
        with self._lock:
            self.events.append(event)
        if self.also:
            self.also(event)

    def snapshot(self) -> list[IndexEvent]:
        with self._lock:
            return list(self.events)

    def clear(self) -> None:
        with self._lock:
            self.events.clear()

    def outcomes(
        self, status: str | None = None, path: Path | str | None = None
    ) -> list[FileOutcome]:
        return [
            e.outcome
            for e in self.snapshot()
            if isinstance(e, Done)
            and (status is None or e.outcome.status == status)
            and (path is None or e.outcome.path == str(path))
        ]

    def notices(self) -> list[str]:
        return [e.message for e in self.snapshot() if isinstance(e, Notice | Stopped)]

    def idles(self) -> int:
        return sum(isinstance(e, Idle) for e in self.snapshot())


def fast_watch_settings(data_dir: Path) -> Settings:
    """Settings with short debounce and no periodic reconcile, so tests run quickly."""
    s = Settings()
    s.index.data_dir = str(data_dir)
    s.watch.debounce_ms = 150
    s.watch.max_wait_ms = 3000
    s.watch.reconcile_minutes = 0
    s.watch.poll_interval_s = 0.2
    return s


def real_folder(tmp_path: Path, name: str = "docs") -> Path:
    """A new folder by its resolved path: watch events name real paths."""
    folder = tmp_path / name
    folder.mkdir()
    return folder.resolve()


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll until `predicate()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
        time.sleep(0.05)


def rows(store: Store) -> list[dict[str, Any]]:
    """The chunks as this Store object sees them (another process's writes need refresh())."""
    if not store.count():
        return []
    return store.rows(["chunk_id", "path", "ordinal", "text"])


def indexed_text(store: Store) -> dict[str, str]:
    """path -> the file's chunk texts joined in order, as the index holds them."""
    by_path: dict[str, list[tuple[int, str]]] = {}
    for r in rows(store):
        by_path.setdefault(r["path"], []).append((r["ordinal"], r["text"]))
    return {p: "\n".join(t for _, t in sorted(parts)) for p, parts in by_path.items()}


def assert_consistent(store: Store) -> None:
    """No duplicate chunk ids, no two chunks at one path+ordinal, chunks match records."""
    all_rows = rows(store)
    ids = [r["chunk_id"] for r in all_rows]
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    places = [(r["path"], r["ordinal"]) for r in all_rows]
    assert len(places) == len(set(places)), "two chunks with the same path and ordinal"
    records = {p: r for p, r in store.file_records().items() if r.status == "ok"}
    per_path: dict[str, int] = {}
    for path, _ in places:
        per_path[path] = per_path.get(path, 0) + 1
    assert per_path == {p: r.chunks for p, r in records.items()}


def disk_files(folder: Path, suffix: str = ".md") -> set[str]:
    return {str(p) for p in folder.rglob(f"*{suffix}") if p.is_file()}


@contextmanager
def watching(
    services: Services, folders: list[Path], recorder: Recorder | None = None, **kwargs: Any
) -> Iterator[tuple[BackgroundIndexer, Recorder]]:
    """A started BackgroundIndexer, past its startup scan; stopped afterwards."""
    recorder = recorder or Recorder()
    bg = services.background_indexer(folders, recorder, **kwargs)
    bg.start()
    try:
        wait_until(lambda: recorder.idles() or not bg.running, 60, "the startup scan")
        assert bg.running, recorder.notices()
        yield bg, recorder
    finally:
        bg.stop()
        assert not bg.running


def settle(bg: BackgroundIndexer, recorder: Recorder, timeout: float = 30.0) -> None:
    """Wait until the queue is empty and the last event is Idle (nothing in flight)."""

    def quiet() -> bool:
        events = recorder.snapshot()
        return bg.pending == 0 and bool(events) and isinstance(events[-1], Idle)

    wait_until(quiet, timeout, "the indexer to go idle")


class Daemon:
    """`python -m tuirag watch [DIR...]` with its log lines collected as they come."""

    def __init__(self, config: Path, *folders: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "500"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tuirag", "--config", str(config), "watch", *map(str, folders)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def logged(self, *words: str) -> list[str]:
        return [line for line in list(self.lines) if all(w in line for w in words)]

    def wait_logged(self, *words: str, timeout: float = 60) -> list[str]:
        def found() -> list[str]:
            assert self.proc.poll() is None or self.logged(*words), "\n".join(self.lines)
            return self.logged(*words)

        return wait_until(found, timeout, f"the daemon to log {words}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)

    def worker(self) -> int | None:
        """The pid of the indexing process the watcher runs now, if any."""
        found = children(self.proc.pid)
        return found[0] if found else None


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
