"""The background indexer reports a fatal error as a typed Stopped event."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from tests.watch_helpers import wait_until
from tuirag.backends.store import Store
from tuirag.cli.watch import WatchLog
from tuirag.ingest.background import BackgroundIndexer
from tuirag.ingest.events import IndexEvent, Stopped
from tuirag.ingest.pipeline import Indexer
from tuirag.services import Services


def test_a_fatal_error_ends_indexing_with_a_stopped_event(services: Services, docs: Path) -> None:
    events: list[IndexEvent] = []

    def broken(roots: list[Path]) -> Indexer:
        raise RuntimeError("the disk is read-only")

    store: Store = services.store
    bg = BackgroundIndexer(
        store, services.settings.watch, broken, services.rules, [docs], events.append
    )
    bg.start()
    wait_until(lambda: not bg.running, 30, "the indexer to stop")
    stopped = [e for e in events if isinstance(e, Stopped)]
    assert [e.message for e in stopped] == ["background indexing stopped: the disk is read-only"]


def test_watch_exits_with_an_error_when_indexing_stopped() -> None:
    out = io.StringIO()
    log = WatchLog(Console(file=out, width=200), quiet=True)
    log(Stopped("the disk is read-only"))
    assert log.died
    assert "background indexing stopped: the disk is read-only" in out.getvalue()


def test_a_supervised_indexer_counts_a_hints_wait_and_finishes_when_asked(
    services: Services, docs: Path
) -> None:
    from tests.watch_helpers import Recorder

    watch = services.settings.watch
    watch.debounce_ms = watch.max_wait_ms = 60_000  # a fresh hint would wait a minute
    note = docs / "a.md"
    note.write_text("# Harbour\n\nThe ferry leaves the harbour at dawn.\n")
    rec = Recorder()
    bg = services.background_indexer([docs], rec, supervised=True)
    bg.start()
    try:
        # the supervisor saw this change 2 minutes ago (while a worker started)
        bg.enqueue(str(note), "file", age=120)
        wait_until(lambda: rec.outcomes("indexed", note), 30, "the aged hint to be indexed")
        bg.finish()
        wait_until(lambda: not bg.running, 60, "the indexer to finish")
    finally:
        bg.stop()
    counts = services.store.counts()
    assert (counts.files, counts.chunks, counts.embedded) == (1, 1, 1)  # vectors in first
