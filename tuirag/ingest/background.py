"""Background indexing: one thread owns the Indexer; the watcher only feeds it hints.

The API the TUI and `tuirag watch` use::

    bg = services.background_indexer(folders, listener)   # or BackgroundIndexer(...)
    bg.start()                      # returns at once; work runs on the "tuirag-indexer" thread
    bg.add_folder(path)             # watch and index one more folder
    bg.remove_folder(path, forget=True)   # stop watching it (and drop its files)
    bg.reindex()                    # a reconcile scan of every folder now; reindex(path): one
    bg.reindex(path, force=True)    # parse every file again, changed or not (vectors reused)
    bg.enqueue(path, kind)          # a change hint (from the watcher, or a supervisor)
    bg.finish()                     # index what is queued and every missing vector, then end
    bg.pending                      # paths waiting in the queue
    bg.writer_pid                   # None while this process writes; else the pid that does
    bg.running                      # False once stopped (or after a fatal error, announced)
    bg.stop()                       # ends the current batch, releases the lock; idempotent

Settings used: [watch] debounce_ms, max_wait_ms, max_pending, reconcile_minutes,
poll_folders, poll_interval_s; [index] rules and the indexer come from the two
factories it is given (`Services.background_indexer` passes its own).

Under `tuirag watch` (supervised=True) the thread runs in the indexing process the
watch supervisor starts (tuirag.ingest.supervisor): no observers, no lock and no
startup scan of its own, since the supervisor holds the lock, watches the folders and
sends hints, folder changes and rescans; `on_idle` is called once it has been idle
`idle_s` seconds (the supervisor then asks it to finish).

`listener` receives `tuirag.ingest.events` (Queued, Indexing, Done, Idle, Notice,
and Stopped when a fatal error ends indexing) on
the indexing thread; the TUI forwards them with `call_from_thread`. Exceptions a
listener raises are logged, never stop indexing.

One writer: the thread takes the index's WriterLock first. When another process
holds it (a `tuirag watch` daemon, or the TUI), this one becomes a reader: it
publishes Notice("indexing is done by pid N"), refreshes the store every few
seconds so searches see that process's writes, and takes over when the lock frees.
Folder commands given meanwhile wait until then (the other process watches its own
folders).

Order: observers start, then the reconcile scan (Indexer.sync) catches what changed
while nothing watched, then queued events are indexed. Files are written keyword
searchable first; their vectors are filled in one batch at a time whenever no event
or command waits (Embedding events say how far), newest files first. A file created during the
scan is listed by the scan or queued by the observer, or both; the second look
finds it unchanged. Every write happens on this one thread, so scan and events
never race. Periodic reconcile scans (watch.reconcile_minutes) repair any event
the OS dropped, and a queue overflow turns into one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from tuirag.backends.lock import IndexBusy, WriterLock
from tuirag.backends.store import Store
from tuirag.config import WatchSettings
from tuirag.ingest import watchstate
from tuirag.ingest.events import (
    Done,
    Embedding,
    Idle,
    IndexEvent,
    Indexing,
    Listener,
    Notice,
    Queued,
    Stopped,
    deliver,
)
from tuirag.ingest.ignore import IgnoreRules
from tuirag.ingest.pipeline import Indexer, Interrupted
from tuirag.ingest.queue import ChangeQueue, Kind
from tuirag.ingest.watcher import Watcher
from tuirag.paths import resolved, within
from tuirag.types import FileOutcome

log = logging.getLogger(__name__)

BATCH_PATHS = 256  # paths handed to the indexer at once; its own batches bound memory
OPTIMIZE_EVERY_S = 120.0  # compact and refresh the text index at most this often after edits
MAX_BACKOFF_S = 60.0
CLEANUP_AFTER_S = 330.0  # after an optimize: its retention (5 min) plus a margin


@dataclass(frozen=True)
class _Command:
    name: str  # add | remove | reindex
    path: Path | None = None
    forget: bool = False
    force: bool = False  # reindex: parse unchanged files too


IndexerFactory = Callable[[list[Path]], Indexer]  # extra roots -> a new Indexer
RulesFactory = Callable[[list[Path]], IgnoreRules]  # extra roots -> the ignore rules


class BackgroundIndexer:
    def __init__(
        self,
        store: Store,
        watch: WatchSettings,
        new_indexer: IndexerFactory,
        new_rules: RulesFactory,
        folders: Iterable[Path],
        listener: Listener | None = None,
        *,
        supervise_s: float = 2.0,
        refresh_s: float = 2.0,
        watcher_factory: type[Watcher] = Watcher,
        supervised: bool = False,
        idle_s: float | None = None,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.watch = watch
        self.new_indexer = new_indexer
        self.new_rules = new_rules
        self.folders: list[Path] = []
        for folder in folders:
            folder = resolved(folder)
            if folder not in self.folders:
                self.folders.append(folder)
        self.listener = listener
        self.supervise_s = supervise_s
        self.refresh_s = refresh_s
        self.watcher_factory = watcher_factory
        self.supervised = supervised
        self.idle_s = idle_s
        self.on_idle = on_idle
        self.reconcile_s = watch.reconcile_minutes * 60
        self._queue = ChangeQueue(
            watch.debounce_ms / 1000, watch.max_wait_ms / 1000, watch.max_pending
        )
        self._slack = min(0.1, self._queue.debounce_s / 2)
        self._cond = threading.Condition()
        self._commands: deque[_Command] = deque()
        self._stopping = False
        self._finishing = False
        self._thread: threading.Thread | None = None
        self._indexer: Indexer | None = None
        self._watcher: Watcher | None = None
        self._dirty = False
        self._unembedded = True  # chunks may be waiting for vectors (checked on start)
        self._failures = 0
        self._modes: dict[str, str] | None = None
        self._last_event: IndexEvent | None = None
        self.writer_pid: int | None = None

    # ---- the API -----------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="tuirag-indexer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Ask the thread to stop after the file or embedding slice in hand; wait up to
        `timeout` s. False if it is still busy (a parser or model call that runs on)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        return not self.running

    def finish(self) -> None:
        """End once every queued path, command and missing vector is done (and the
        small commits are compacted); `running` turns False then."""
        with self._cond:
            self._finishing = True
            self._cond.notify_all()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def add_folder(self, path: Path) -> None:
        self._command(_Command("add", resolved(path)))

    def remove_folder(self, path: Path, forget: bool = False) -> None:
        self._command(_Command("remove", resolved(path), forget))

    def reindex(self, folder: Path | None = None, force: bool = False) -> None:
        """Rescan every folder, or one, reporting n of m files; `force` parses unchanged
        files again (after a plugin changed, or when the index is in doubt)."""
        self._command(_Command("reindex", resolved(folder) if folder else None, force=force))

    def enqueue(self, path: str, kind: Kind = "file", age: float = 0.0) -> None:
        """A change hint (the watcher's handlers call this from their threads); `age`:
        seconds since the change (a supervisor's hint waited while this process started,
        and that wait counts towards the debounce)."""
        with self._cond:
            self._queue.add(path, kind, self._queue.clock() - max(0.0, age))
            self._cond.notify_all()

    # ---- the indexing thread -----------------------------------------------

    def _command(self, command: _Command) -> None:
        with self._cond:
            self._commands.append(command)
            self._cond.notify_all()

    def _publish(self, event: IndexEvent) -> None:
        self._last_event = event
        deliver(self.listener, event)

    def _run(self) -> None:
        lock: WriterLock | None = None
        writing = False
        try:
            if self.supervised:
                self._indexer = self._new_indexer()
                self._loop()
                return
            lock = WriterLock(self.store.folder)
            self._become_writer(lock)
            writing = True
            self._indexer = self._new_indexer()
            self._watcher = self.watcher_factory(
                self.new_rules(self.folders),
                self.enqueue,
                lambda msg, level: self._publish(Notice(msg, level)),
                [Path(p) for p in self.watch.poll_folders],
                self.watch.poll_interval_s,
            )
            for folder in self.folders:
                self._watcher.watch(folder)
            self._save_modes()
            # on failure the folders are queued as rescans, retried with backoff
            self._guarded(
                partial(self._full_sync, "startup"), [(str(f), "tree") for f in self.folders]
            )
            self._loop()
        except Interrupted:
            pass
        except Exception as exc:  # the UI must hear about it; a traceback goes to the log
            log.exception("background indexing stopped")
            self._publish(Stopped(str(exc)))
        finally:
            if self._watcher is not None:
                self._watcher.stop()
            if lock is not None and writing:
                watchstate.clear(lock.path.parent)
                lock.release()

    def _become_writer(self, lock: WriterLock) -> None:
        """Take the writer lock; while another process has it, refresh as a reader."""
        store = self.store
        chunks = (-1, -1)
        while True:
            try:
                lock.acquire()
            except IndexBusy:
                holder = lock.holder()
                if holder != self.writer_pid:
                    self.writer_pid = holder
                    who = f"pid {holder}" if holder else "another process"
                    self._publish(Notice(f"indexing is done by {who}; showing its updates"))
                store.refresh()
                counts = store.counts()
                if (counts.chunks, counts.embedded) != chunks:
                    chunks = (counts.chunks, counts.embedded)
                    self._publish(Idle(counts.files, counts.chunks, counts.embedded))
                self._wait(self.refresh_s)
                continue
            if self.writer_pid is not None:
                self._publish(Notice("the other indexer stopped; indexing here now"))
                store.refresh()
                self.writer_pid = None
            return

    def _wait(self, seconds: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._stopping, timeout=max(0.0, seconds))
            if self._stopping:
                raise Interrupted

    def _new_indexer(self) -> Indexer:
        indexer = self.new_indexer(self.folders)
        indexer.stop_requested = lambda: self._stopping
        return indexer

    def _loop(self) -> None:
        now = time.monotonic()
        never = float("inf")  # a supervised thread: the supervisor watches and reconciles
        periodic = self.reconcile_s > 0 and not self.supervised
        next_reconcile = now + self.reconcile_s if periodic else never
        next_supervise = never if self.supervised else now + self.supervise_s
        optimize_after = now
        cleanup_at = float("inf")
        idle_at = now + (self.idle_s or float("inf"))
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        raise Interrupted
                    now = time.monotonic()
                    timers = [next_reconcile, next_supervise]
                    if self._dirty and not len(self._queue):
                        timers.append(optimize_after)
                    timers += [cleanup_at, idle_at]
                    if (self._unembedded or self._finishing) and not len(self._queue):
                        timers.append(now)  # vectors to fill in, or the end: no sleeping
                    due_in = self._queue.next_due_in(now)
                    if due_in is not None:
                        timers.append(now + due_in)
                    wake = min(timers)
                    if self._commands or self._queue.has_news or wake <= now:
                        break
                    self._cond.wait(wake - now if wake < never else None)
                fresh = self._queue.take_fresh()
                commands = list(self._commands)
                self._commands.clear()
                overflow = self._queue.take_overflow()
                due = self._queue.pop_due(now, BATCH_PATHS, slack=self._slack)
                waiting = len(self._queue)
            for i, path in enumerate(fresh):
                self._publish(Queued(path, waiting - len(fresh) + i + 1))
            for command in commands:
                self._guarded(partial(self._run_command, command), [])
            if overflow:
                self._publish(Notice("too many changes at once; rescanning everything", "warning"))
                self._guarded(partial(self._full_sync, "overflow"), [])
            if due:
                self._guarded(partial(self._index, due), due)
                if not self.pending:
                    self._publish_idle()
            now = time.monotonic()
            if now >= next_supervise:
                next_supervise = now + self.supervise_s
                assert self._watcher is not None
                rescan = self._watcher.check(now)
                self._save_modes()
                for root in rescan:
                    self.enqueue(str(root), "tree")
            if now >= next_reconcile:
                next_reconcile = now + self.reconcile_s
                self._guarded(partial(self._full_sync, "periodic"), [])
            if self._dirty and not self.pending and now >= optimize_after:
                optimize_after = now + OPTIMIZE_EVERY_S
                self._dirty = False
                self._guarded(self._indexer_or_new().store.optimize, [])
                cleanup_at = now + CLEANUP_AFTER_S
            elif cleanup_at <= now and not self.pending:
                # versions kept for readers by the last optimize are old enough now:
                # without this pass they stay on disk until the next edit
                cleanup_at = float("inf")
                self._guarded(self._indexer_or_new().store.optimize, [])
            worked = bool(commands or overflow or due)
            if self._unembedded and not self.pending and not self._commands:
                self._guarded(self._embed_batch, [])
                worked = True
            if self._finishing and not (self.pending or self._commands or self._unembedded):
                if self._dirty:  # else the last small commits wait for the next start
                    self._guarded(self._indexer_or_new().store.optimize, [])
                return
            if worked:
                idle_at = now + (self.idle_s or float("inf"))
            elif now >= idle_at:
                idle_at = float("inf")
                if self.on_idle is not None:
                    self.on_idle()

    def _embed_batch(self) -> None:
        """Fill in one batch of missing vectors (newest files first), then yield to events."""
        indexer = self._indexer_or_new()
        embedded = indexer.embed_pending(lambda n, m: self._publish(Embedding(n, m)), 1)
        if embedded:
            self._dirty = True  # compact the small commits when idle
        else:
            self._unembedded = False
            self._publish_idle(repeat=False)  # not "up to date" twice when none was missing

    def _guarded(self, work: Callable[[], object], retry: list[tuple[str, Kind]]) -> None:
        """Run one step; on failure report it, back off, and queue its paths again."""
        try:
            work()
            self._failures = 0
        except Interrupted:
            raise
        except Exception as exc:
            self._failures += 1
            delay = min(MAX_BACKOFF_S, 2.0**self._failures)
            log.exception("indexing step failed")
            self._publish(Notice(f"indexing failed ({exc}); retrying in {delay:.0f} s", "error"))
            self._indexer = None  # drop any half-built batch
            self._wait(delay)
            for path, kind in retry:
                self.enqueue(path, kind)

    def _indexer_or_new(self) -> Indexer:
        if self._indexer is None:
            self._indexer = self._new_indexer()
        return self._indexer

    def _index(self, due: list[tuple[str, Kind]]) -> None:
        """Index a batch of due paths: single files, then folders to rescan."""
        indexer = self._indexer_or_new()
        trees = [Path(p) for p, kind in due if kind == "tree"]
        # a missing watched root keeps its rows in a rescan, so the delete events of
        # its files (an rm -r, not an unmount) are applied one by one
        rescans = [t for t in trees if t.exists() or t not in self.folders]
        files = [Path(p) for p, kind in due if kind == "file" and not within(Path(p), rescans)]
        for n, path in enumerate(files):
            self._publish(Indexing(str(path), n, len(files)))
        self._done(indexer.index_paths(files))
        if trees:  # counted by the files in them, not "0 of 1" for a folder
            self._counted(partial(indexer.resync, trees))
        self._unembedded = True

    def _done(self, outcomes: list[FileOutcome]) -> None:
        for outcome in outcomes:
            self._done_one(outcome)

    def _done_one(self, outcome: FileOutcome) -> None:
        if outcome.status in ("indexed", "removed", "failed", "skipped"):
            self._dirty = True
        self._publish(Done(outcome))
        if self._stopping:
            raise Interrupted  # the index stays consistent: see Indexer._flush

    def _full_sync(self, why: str, force: bool = False) -> None:
        live = [f for f in self.folders if f.is_dir()]
        for folder in set(self.folders) - set(live):
            self._publish(
                Notice(
                    f"{folder} is missing (an unmounted disk?): its files stay in the index "
                    "until it is back; remove it from the folders to forget them",
                    "warning",
                )
            )
        sync = partial(self._indexer_or_new().sync, self.folders, force=force, embed=False)
        count = self._counted(sync)
        self._dirty = False  # sync optimized
        self._unembedded = True
        self._publish_idle()
        log.debug("%s reconcile done: %d files considered", why, count)

    def _counted(self, scan: Callable[..., object]) -> int:
        """Run an Indexer scan, publishing Indexing(n of m) as it takes up each file
        (outcomes come a batch at a time) and as it removes each file that is gone."""
        total = 0
        count = 0

        def planned(n: int) -> None:
            nonlocal total
            total = n

        def taken(path: Path | str) -> None:
            nonlocal count
            count += 1
            self._publish(Indexing(str(path), count, total))
            if self._stopping:
                raise Interrupted  # nothing of this file is written yet

        def step(outcome: FileOutcome) -> None:
            if outcome.status == "removed":
                taken(outcome.path)
            self._done_one(outcome)

        scan(progress=step, on_plan=planned, on_file=taken)
        return count

    def _publish_idle(self, repeat: bool = True) -> None:
        counts = self._indexer_or_new().store.counts()
        idle = Idle(counts.files, counts.chunks, counts.embedded)
        if repeat or idle != self._last_event:
            self._publish(idle)

    def _run_command(self, command: _Command) -> None:
        if command.name == "reindex":
            if command.path is None:
                self._full_sync("requested", command.force)
            else:
                indexer = self._indexer_or_new()
                self._counted(partial(indexer.resync, [command.path], force=command.force))
                self._unembedded = True
                self._publish_idle()
            return
        path = command.path
        assert path is not None
        # A supervised thread may start with the folder list already changed (folders
        # are its supervisor's when it starts): the scan or forget is done regardless.
        if command.name == "add":
            if path not in self.folders:
                self.folders.append(path)
                self._rules_changed()
                if self._watcher is not None:
                    self._watcher.watch(path)
            self.enqueue(str(path), "tree")
        elif command.name == "remove":
            if path in self.folders:
                self.folders.remove(path)
                if self._watcher is not None:
                    self._watcher.unwatch(path)
                self._rules_changed()
            if command.forget and not within(path, self.folders):  # else still watched
                # a still-watched folder inside the removed one keeps its files
                self._done(self._indexer_or_new().forget(path, keep=self.folders))
        self._save_modes()

    def _rules_changed(self) -> None:
        self._indexer = self._new_indexer()
        if self._watcher is not None:
            self._watcher.rules = self.new_rules(self.folders)

    def _save_modes(self) -> None:
        """Tell `status`/`doctor` how folders are watched (only when that changed)."""
        if self._watcher is None or (modes := self._watcher.modes()) == self._modes:
            return
        self._modes = modes
        try:
            watchstate.write(self.store.folder, modes)
        except OSError:
            log.debug("cannot write watch state", exc_info=True)
