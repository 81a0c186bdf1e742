"""`tuirag watch` as two processes: a lean supervisor that watches, and an indexing
process it starts for each burst of changes.

An idle watcher should hold little memory, but LanceDB holds ~150 MiB once imported
and opened, and a module cannot be unloaded. So the supervisor (this class: watchdog
observers, the writer lock, timers; no LanceDB, no model; ~25 MiB) is what stays,
and the indexing runs in a worker process (`tuirag watch --worker FD`: a supervised
BackgroundIndexer) that exits once it has been idle `watch.indexer_idle_s` seconds::

    supervisor                          stdin ->   worker (BackgroundIndexer, supervised)
    lock, observers, config, timers     <- fd FD   "idle" once idle indexer_idle_s
                                                   logs to the same stdout

Messages to the worker are JSON lines: first {"do": "start", settings, folders, idle_s}
(or "locate": open the index, say its folder, exit), then "hint" (path, kind, and when:
the wait for a worker to start counts towards the debounce), "add", "remove" (forget),
"reindex" and "finish" (index what is queued and every missing vector, then exit).
Its stdin closing without "finish" means the supervisor was killed: the worker exits
at once, as a one-process watcher would have (every write is kill -9 safe).

Kept from the one-process watcher: the lock file and watch.json name the supervisor's
pid (what `status` and the app show; systemd's main pid); the worker inherits the
lock's open file, so the lock stays held until both have exited; SIGTERM lets the
batch in hand finish. The observers never stop, so a change made while a worker
finishes waits in the outbox for the next worker. A worker that ends without being
asked (a signal, the OOM killer) is started again with a full rescan (backing off
2, 4 … 60 s); one that fails with an error (it has said why) ends the watch.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tuirag import config
from tuirag.backends.lock import IndexBusy, WriterLock
from tuirag.ingest import watchstate
from tuirag.ingest.events import IndexEvent, Listener, Notice, Stopped, deliver
from tuirag.ingest.ignore import IgnoreRules
from tuirag.ingest.queue import Kind
from tuirag.ingest.watcher import Watcher
from tuirag.paths import resolved

if TYPE_CHECKING:
    from tuirag.ingest.background import BackgroundIndexer

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0
Message = dict[str, Any]


class _Stopping(Exception):
    pass


class Supervisor:
    """Watch `folders` and keep a worker process indexing what changes (API as the
    BackgroundIndexer's that `tuirag watch` uses: start, stop, running, add_folder,
    remove_folder, reindex, enqueue)."""

    def __init__(
        self,
        settings: config.Settings,
        folders: Iterable[Path],
        new_rules: Callable[[list[Path]], IgnoreRules],
        listener: Listener,
        worker_command: list[str],
        index_folder: Path | None,
        *,
        supervise_s: float = 2.0,
        lock_retry_s: float = 2.0,
        watcher_factory: type[Watcher] = Watcher,
    ) -> None:
        self.settings = settings
        self.folders: list[Path] = []
        for folder in map(resolved, folders):
            if folder not in self.folders:
                self.folders.append(folder)
        self.new_rules = new_rules
        self.listener = listener
        self.worker_command = worker_command  # the fd of the status pipe is appended
        self.index_folder = index_folder  # None: not opened with these settings yet
        self.supervise_s = supervise_s
        self.lock_retry_s = lock_retry_s
        self.watcher_factory = watcher_factory
        self.exit_code = 0  # a worker's failing status, or 1 when the supervisor failed
        self._cond = threading.Condition()
        self._outbox: list[Message] = []
        self._stopping = False
        self._idle = False  # the worker said it has been idle indexer_idle_s seconds
        self._exited = False  # the worker process ended
        self._thread: threading.Thread | None = None
        self._watcher: Watcher | None = None
        self._modes: dict[str, str] | None = None
        self._stop_timeout = 30.0
        self._proc: subprocess.Popen[bytes] | None = None  # the worker, on this thread
        self._finishing = False  # it was asked to finish
        self._failures = 0  # lost workers in a row
        self._retry_at = 0.0  # when a lost worker may be started again
        self._folder_changes: list[Message] = []  # add/remove sent to this worker
        # folders and observers change on the caller's thread (config follow) and are read
        # on the supervising one; never held while waiting on _cond (observer threads
        # take that one to queue hints, and stopping an observer joins its thread)
        self._folders_lock = threading.Lock()

    # ---- the API -----------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tuirag-supervisor")
            self._thread.daemon = True
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the worker (the batch in hand ends first; after `timeout` it is killed,
        which loses nothing written), release the lock. False if still stopping."""
        with self._cond:
            self._stopping = True
            self._stop_timeout = timeout
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout + 10)
        return not self.running

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def enqueue(self, path: str, kind: Kind = "file") -> None:
        """A change hint (the observers' threads call this)."""
        self._send({"do": "hint", "path": path, "kind": kind, "at": time.time()})

    def add_folder(self, path: Path) -> None:
        path = resolved(path)
        with self._folders_lock:
            if path not in self.folders:
                self.folders.append(path)
                if self._watcher is not None:
                    self._watcher.rules = self.new_rules(self.folders)
                    self._watcher.watch(path)
        self._send({"do": "add", "path": str(path)})

    def remove_folder(self, path: Path, forget: bool = False) -> None:
        path = resolved(path)
        with self._folders_lock:
            if path in self.folders:
                self.folders.remove(path)
                if self._watcher is not None:
                    self._watcher.unwatch(path)
                    self._watcher.rules = self.new_rules(self.folders)
        self._send({"do": "remove", "path": str(path), "forget": forget})

    def reindex(self) -> None:
        """A reconcile scan of every folder (at start, periodically, after a lost worker)."""
        self._send({"do": "reindex"})

    # ---- the supervising thread --------------------------------------------

    def _send(self, message: Message) -> None:
        with self._cond:
            self._outbox.append(message)
            if len(self._outbox) > self.settings.watch.max_pending:
                # a flood while a worker starts: one rescan instead of every path
                self._outbox = [m for m in self._outbox if m["do"] != "hint"]
                self._outbox.append({"do": "reindex"})
            self._cond.notify_all()

    def _publish(self, event: IndexEvent) -> None:
        deliver(self.listener, event)

    def _run(self) -> None:
        lock: WriterLock | None = None
        try:
            folder = self.index_folder or self._locate()
            if folder is None:
                return  # the worker said why
            where = ", ".join(map(str, self.folders))
            self._publish(Notice(f"watching {where}; index {folder}"))
            lock = WriterLock(folder)
            self._take(lock)
            with self._folders_lock:
                self._watcher = self.watcher_factory(
                    self.new_rules(self.folders),
                    self.enqueue,
                    lambda msg, level: self._publish(Notice(msg, level)),
                    [Path(p) for p in self.settings.watch.poll_folders],
                    self.settings.watch.poll_interval_s,
                )
                for root in self.folders:
                    self._watcher.watch(root)
                self._save_modes(folder)
            self.reindex()  # what changed while nothing watched
            self._loop(lock, folder)
        except _Stopping:
            pass
        except Exception as exc:
            log.exception("watching stopped")
            self.exit_code = 1
            self._publish(Stopped(str(exc)))
        finally:
            with self._folders_lock:
                if self._watcher is not None:
                    self._watcher.stop()
            if lock is not None and lock.fd is not None:
                watchstate.clear(lock.path.parent)
                lock.release()

    def _locate(self) -> Path | None:
        """The first run with these settings: a worker opens (creates) the index, which
        may load the model to learn its key, and says where it is."""
        proc, status = self._spawn({"do": "start", "locate": True, **self._start()}, [])
        said = status.readline().decode(errors="replace").split(" ", 1)
        status.close()
        if proc.wait() != 0 or said[0] != "folder":
            self.exit_code = proc.returncode or 1
            return None
        return Path(said[1].rstrip("\n"))

    def _take(self, lock: WriterLock) -> None:
        """The writer lock; while another process holds it, wait for it to stop."""
        told = False
        while True:
            try:
                lock.acquire()
            except IndexBusy:
                if not told:
                    holder = lock.holder()
                    who = f"pid {holder}" if holder else "another process"
                    self._publish(Notice(f"indexing is done by {who}; taking over when it stops"))
                    told = True
                self._wait(self.lock_retry_s)
                continue
            if told:
                self._publish(Notice("the other indexer stopped; indexing here now"))
            return

    def _wait(self, seconds: float) -> None:
        with self._cond:
            if self._cond.wait_for(lambda: self._stopping, timeout=seconds):
                raise _Stopping

    def _loop(self, lock: WriterLock, folder: Path) -> None:
        watch = self.settings.watch
        now = time.monotonic()
        reconcile_s = watch.reconcile_minutes * 60
        next_reconcile = now + reconcile_s if reconcile_s > 0 else float("inf")
        next_supervise = now + self.supervise_s
        try:
            while True:
                with self._cond:
                    while True:
                        now = time.monotonic()
                        wake = min(next_reconcile, next_supervise)
                        waiting = self._outbox and not self._finishing
                        can_send = waiting and now >= self._retry_at
                        if self._stopping or self._exited or self._idle or can_send:
                            break
                        if waiting:
                            wake = min(wake, self._retry_at)
                        if wake <= now:
                            break
                        self._cond.wait(wake - now)
                    if self._stopping:
                        raise _Stopping
                    exited, self._exited = self._exited, False
                    idle, self._idle = self._idle, False
                    messages = self._outbox if can_send else []
                    if can_send:
                        self._outbox = []
                if exited and self._proc is not None:
                    if not self._ended(messages):
                        return
                    messages = []  # none went to a finishing worker; a lost one's wait
                if messages:
                    self._deliver(messages, lock)
                elif idle and self._proc is not None and not self._finishing:
                    self._write(self._proc, [{"do": "finish"}])
                    self._finishing = True
                now = time.monotonic()
                if now >= next_supervise:
                    next_supervise = now + self.supervise_s
                    with self._folders_lock:
                        assert self._watcher is not None
                        rescan = self._watcher.check(now)
                        self._save_modes(folder)
                    for root in rescan:
                        self.enqueue(str(root), "tree")
                if now >= next_reconcile:
                    next_reconcile = now + reconcile_s
                    self.reindex()
        finally:
            if self._proc is not None:
                self._end(self._proc)

    def _deliver(self, messages: list[Message], lock: WriterLock) -> None:
        """Send messages to the worker, starting one if none runs."""
        if self._proc is None:
            with self._folders_lock:
                start = {"do": "start", "folders": [str(f) for f in self.folders]}
            self._proc = self._start_worker({**start, **self._start()}, lock)
            self._folder_changes = []
        self._folder_changes += [m for m in messages if m["do"] in ("add", "remove")]
        self._write(self._proc, messages)

    def _ended(self, unsent: list[Message]) -> bool:
        """The worker process ended: fine when asked to finish; restarted with a rescan
        when it was lost; False when it failed (it said why), which ends the watch."""
        assert self._proc is not None
        code = self._proc.wait()
        asked, self._proc, self._finishing = self._finishing, None, False
        if code > 0:
            self.exit_code = code
            return False
        if asked:
            self._failures = 0
            return True
        # Ctrl-C and `systemctl stop` signal both processes: when this one is told to
        # stop as well, the worker's end is no loss
        self._wait(1.0)
        self._failures += 1
        delay = min(MAX_BACKOFF_S, 2.0**self._failures)
        how = f"signal {-code}" if code < 0 else "an unasked exit"
        message = f"the indexing process ended ({how}); starting it again with a rescan"
        self._publish(Notice(f"{message} in {delay:.0f} s", "error"))
        self._retry_at = time.monotonic() + delay
        # what it may have missed, the folder changes it may not have applied (they
        # are idempotent), then what it was not sent
        again = [{"do": "reindex"}, *self._folder_changes, *unsent]
        with self._cond:
            self._outbox[:0] = again
        return True

    def _start(self) -> Message:
        idle_s = self.settings.watch.indexer_idle_s or None  # 0: the worker stays
        return {"settings": config.to_dict(self.settings), "idle_s": idle_s}

    def _start_worker(self, start: Message, lock: WriterLock) -> subprocess.Popen[bytes]:
        assert lock.fd is not None
        proc, status = self._spawn(start, [lock.fd])
        threading.Thread(
            target=self._listen, args=(proc, status), name="tuirag-worker-status", daemon=True
        ).start()
        return proc

    def _spawn(self, start: Message, fds: list[int]) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
        read, write = os.pipe()
        try:
            proc = subprocess.Popen(
                [*self.worker_command, str(write)], stdin=subprocess.PIPE, pass_fds=[write, *fds]
            )
        finally:
            os.close(write)
        status = os.fdopen(read, "rb")
        self._write(proc, [start])
        return proc, status

    def _listen(self, proc: subprocess.Popen[bytes], status: IO[bytes]) -> None:
        """The worker's status pipe: "idle" lines, then its end (it closes the pipe)."""
        with status:
            for line in status:
                if line.strip() == b"idle":
                    with self._cond:
                        self._idle = True
                        self._cond.notify_all()
        proc.wait()
        with self._cond:
            self._exited = True
            self._cond.notify_all()

    @staticmethod
    def _write(proc: subprocess.Popen[bytes], messages: list[Message]) -> None:
        assert proc.stdin is not None
        data = "".join(json.dumps(m) + "\n" for m in messages).encode()
        try:
            proc.stdin.write(data)
            proc.stdin.flush()
            if messages[-1]["do"] == "finish":
                proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass  # it has ended: its listener reports that, and the next worker rescans

    def _end(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop a worker: SIGTERM lets it end the batch in hand; kill it when that
        takes longer than the stop timeout (its writes are kill -9 safe)."""
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(self._stop_timeout + 5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def _save_modes(self, folder: Path) -> None:
        """Tell `status`/`doctor` how folders are watched (only when that changed)."""
        if self._watcher is None or (modes := self._watcher.modes()) == self._modes:
            return
        self._modes = modes
        try:
            watchstate.write(folder, modes)
        except OSError:
            log.debug("cannot write watch state", exc_info=True)


# ---- the worker's side of the pipe -------------------------------------------


def read_start(stream: IO[bytes]) -> Message | None:
    """The first message (None if the supervisor went away before sending it)."""
    line = stream.readline()
    return json.loads(line) if line else None


def serve(indexer: BackgroundIndexer, stream: IO[bytes]) -> bool:
    """Apply the supervisor's messages; True once it said finish, False if the pipe
    closed without that (the supervisor was killed)."""
    for line in stream:
        message = json.loads(line)
        match message["do"]:
            case "hint":  # its debounce counts from the change, not from its arrival here
                indexer.enqueue(message["path"], message["kind"], time.time() - message["at"])
            case "add":
                indexer.add_folder(Path(message["path"]))
            case "remove":
                indexer.remove_folder(Path(message["path"]), message["forget"])
            case "reindex":
                indexer.reindex()
            case "finish":
                indexer.finish()
                return True
    return False
