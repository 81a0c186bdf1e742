"""One writer per index: an exclusive lock file; other processes only read."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from tuirag.backends.diskspace import DiskFull, is_disk_full


class IndexBusy(Exception):
    """Another process holds the writer lock."""


_writing_for: int | None = None


def write_for(pid: int) -> None:
    """This process writes under the lock process `pid` holds (the indexer `tuirag watch`
    starts inherits its supervisor's lock): others should see `pid` as the writer."""
    global _writing_for
    _writing_for = pid


def writer_pid() -> int:
    """The pid this process writes as: its own, or the supervisor's it writes for."""
    return _writing_for or os.getpid()


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs (another user's counts: it cannot be signalled, but is)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, another user's
        return True
    return True


class WriterLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "writer.lock"
        self._fd: int | None = None

    @property
    def fd(self) -> int | None:
        """The open lock file while held (a child process that inherits it keeps the
        lock held until both have closed it)."""
        return self._fd

    def holder(self) -> int:
        """The pid the writing process left in the lock file (0 if none or unreadable)."""
        try:
            return int(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if is_disk_full(exc):
                raise DiskFull(self.path.parent) from None
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise IndexBusy(
                f"another tuirag process (pid {holder}) is writing this index, "
                "e.g. `tuirag watch`; searching still works, and it will index the changes"
            ) from None
        self._fd = fd
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError as exc:  # the pid is only for messages; the lock itself is held
            if not is_disk_full(exc):
                self.release()
                raise

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
