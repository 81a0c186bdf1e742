"""Watch folders with watchdog and turn its events into queued paths; nothing more.

Handlers run on watchdog's dispatch thread, where one exception ends dispatch for
good (watchdog #793): they only filter (the shared `IgnoreRules`, so editor temp
and backup names never get in) and hand `(path, kind)` to `enqueue`. Reading,
parsing and writing happen on the indexing thread, which re-checks the disk.

Each folder gets its own observer, so one folder can fall back to polling alone:
- the inotify limits (ENOSPC / EMFILE at start, watchdog #673/#846) → polling,
  with a notice naming `fs.inotify.max_user_watches`;
- network filesystems (NFS, SMB, sshfs …) give no events → polling;
- folders listed in `watch.poll_folders` → polling.
`check()` supervises: a dead observer (PollingObserver dies on EBUSY, a deleted
root stops inotify; #504, #1065) is restarted with backoff once its folder
exists, and the folder is returned for a rescan, since events were missed.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserverVFS

from tuirag.ingest.events import NoticeLevel
from tuirag.ingest.ignore import IgnoreRules
from tuirag.ingest.queue import Kind
from tuirag.paths import resolved, within

log = logging.getLogger(__name__)

Enqueue = Callable[[str, Kind], None]
Notify = Callable[[str, NoticeLevel], None]  # message, level

# opened / closed-without-write / folder-modified events are noise: every read of a
# file (our own parser's included) would wake us up
EVENTS = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileAttribEvent, FileDeletedEvent,
    FileMovedEvent, DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]  # fmt: skip

NETWORK_FS = {
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs",
    "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "davfs", "fuse.davfs2",
}  # fmt: skip
INOTIFY_LIMITS = {
    errno.ENOSPC: "the inotify watch limit is reached; raise it with "
    "`sudo sysctl fs.inotify.max_user_watches=524288`",
    errno.EMFILE: "the inotify instance limit is reached; raise it with "
    "`sudo sysctl fs.inotify.max_user_instances=512`",
}
MAX_BACKOFF_S = 60.0


class _Handler(FileSystemEventHandler):
    def __init__(self, root: Path, rules: Callable[[], IgnoreRules], enqueue: Enqueue) -> None:
        self.root = str(root)
        self.rules = rules
        self.enqueue = enqueue

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            paths = [event.src_path, getattr(event, "dest_path", "")]
            for raw in paths:  # a move touches both ends: one may be outside the tree
                if raw:
                    self._offer(os.fsdecode(raw), event.is_directory)
        except Exception:  # never let one odd event end dispatch for good
            log.exception("watch event %r dropped", event)

    def _offer(self, path: str, is_dir: bool) -> None:
        if path == self.root:
            self.enqueue(path, "tree")  # the root itself was deleted or moved
            return
        if os.path.basename(path) == ".gitignore":
            folder = os.path.dirname(path)
            if folder == self.root or not self.rules().reason(Path(folder), is_dir=True):
                self.enqueue(folder, "tree")  # its rules changed: rescan below it
            return
        if self.rules().reason(Path(path), is_dir=is_dir):
            return  # temp, backup, ignored or secret
        self.enqueue(path, "tree" if is_dir else "file")


@dataclass
class _Watch:
    root: Path
    observer: BaseObserver | None = None
    polling: str = ""  # why this folder is polled; "" = OS events
    failures: int = 0
    retry_at: float = 0.0
    missing: bool = False
    identity: tuple[int, int] | None = None  # (device, inode) of the root when started

    @property
    def healthy(self) -> bool:
        """Observer and emitters alive, and the root is still the folder they watch
        (a root moved away or replaced keeps inotify watching the old inode)."""
        obs = self.observer
        alive = obs is not None and obs.is_alive() and all(e.is_alive() for e in obs.emitters)
        return alive and _identity(self.root) == self.identity


class Watcher:
    """One observer per folder, supervised. Thread use: call methods from one thread."""

    def __init__(
        self,
        rules: IgnoreRules,
        enqueue: Enqueue,
        notify: Notify,
        poll_folders: list[Path] | None = None,
        poll_interval_s: float = 5.0,
        observer_factory: Callable[[], BaseObserver] = Observer,
    ) -> None:
        self.rules = rules
        self.enqueue = enqueue
        self.notify = notify
        self.poll_folders = [resolved(p) for p in poll_folders or []]
        self.poll_interval_s = poll_interval_s
        self.observer_factory = observer_factory
        self._watches: dict[Path, _Watch] = {}

    def modes(self) -> dict[str, str]:
        """Each folder and how it is watched: "events", "polling: why", or "missing"."""
        modes = {}
        for w in self._watches.values():
            mode = f"polling: {w.polling}" if w.polling else "events"
            modes[str(w.root)] = "missing" if w.missing else mode
        return modes

    def watch(self, root: Path) -> None:
        if root in self._watches:
            return
        w = _Watch(root, polling=self._poll_reason(root))
        self._watches[root] = w
        self._start(w)

    def unwatch(self, root: Path) -> None:
        w = self._watches.pop(root, None)
        if w is not None:
            _stop(w.observer)

    def stop(self) -> None:
        for root in list(self._watches):
            self.unwatch(root)

    def check(self, now: float | None = None) -> list[Path]:
        """Restart dead observers (with backoff); the folders returned need a rescan."""
        now = time.monotonic() if now is None else now
        rescan = []
        for w in self._watches.values():
            if w.healthy or now < w.retry_at:
                continue
            was_missing = w.missing
            if self._start(w, now):  # events were missed while it was down
                self.notify(f"watching {w.root} again; rescanning it", "info")
                rescan.append(w.root)
            elif w.missing and not was_missing:
                rescan.append(w.root)  # gone (moved away?): its files leave the index
        return rescan

    # ---- internals -------------------------------------------------------

    def _start(self, w: _Watch, now: float | None = None) -> bool:
        """(Re)start the folder's observer; False when it must be retried later."""
        now = time.monotonic() if now is None else now
        _stop(w.observer)
        w.observer = None
        if not w.root.is_dir():
            if not w.missing:
                self.notify(f"{w.root} is gone; watching for it to come back", "warning")
            w.missing = True
            w.retry_at = now + self.poll_interval_s
            return False
        try:
            w.identity = _identity(w.root)
            w.observer = self._observer(w)
        except OSError as exc:
            w.failures += 1
            w.retry_at = now + min(MAX_BACKOFF_S, 2.0**w.failures)
            self.notify(f"cannot watch {w.root}: {exc.strerror or exc}; retrying", "error")
            return False
        w.missing, w.failures = False, 0
        return True

    def _observer(self, w: _Watch) -> BaseObserver:
        if not w.polling:
            observer = self.observer_factory()
            try:
                return _schedule(observer, w.root, self)
            except OSError as exc:
                if exc.errno not in INOTIFY_LIMITS:
                    raise
                w.polling = INOTIFY_LIMITS[exc.errno]
        self.notify(
            f"polling {w.root} every {self.poll_interval_s:g} s: {w.polling}",
            "warning" if w.polling in INOTIFY_LIMITS.values() else "info",
        )
        poller = PollingObserverVFS(os.stat, self.listdir, polling_interval=self.poll_interval_s)
        return _schedule(poller, w.root, self)

    def listdir(self, path: str | None) -> Iterator[os.DirEntry[str]]:
        """A folder's entries for the poller, without ignored folders (.git, node_modules …).

        OS events cost nothing for ignored folders (their events are dropped), but a
        poller would stat every file in them on every pass.
        """
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and self.rules.reason(
                    Path(entry.path), is_dir=True
                ):
                    continue
                yield entry

    def _poll_reason(self, root: Path) -> str:
        if within(root, self.poll_folders):
            return "listed in watch.poll_folders"
        fs = filesystem_type(root)
        if fs in NETWORK_FS:
            return f"a {fs} network mount sends no change events"
        return ""


def _schedule(observer: BaseObserver, root: Path, watcher: Watcher) -> BaseObserver:
    handler = _Handler(root, lambda: watcher.rules, watcher.enqueue)
    observer.schedule(handler, str(root), recursive=True, event_filter=EVENTS)
    observer.daemon = True
    try:
        observer.start()
    except BaseException:
        _stop(observer)
        raise
    return observer


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _stop(observer: BaseObserver | None) -> None:
    if observer is None:
        return
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5)
    except (OSError, RuntimeError):
        log.debug("observer stop failed", exc_info=True)


def filesystem_type(path: Path) -> str:
    """The type of the filesystem `path` is on (Linux /proc/self/mounts), or ""."""
    best, fstype = "", ""
    target = str(path)
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return ""
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = fields[1].encode().decode("unicode_escape")  # "\040" is a space
        under = target == mount or target.startswith(mount.rstrip("/") + "/")
        if under and len(mount) > len(best):
            best, fstype = mount, fields[2]
    return fstype


def inotify_watch_limit() -> int | None:
    """fs.inotify.max_user_watches, or None where there is no inotify."""
    try:
        return int(Path("/proc/sys/fs/inotify/max_user_watches").read_text())
    except (OSError, ValueError):
        return None
