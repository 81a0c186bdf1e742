"""A full disk under the index: recognised in any library's error, told in one line.

LanceDB reports ENOSPC as `LanceError(IO): No space left on device (os error 28)`
inside a RuntimeError/OSError, so the errno alone does not find it.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

LOW_SPACE_BYTES = 16 * 2**20  # below this, the indexer commits after every file

_FULL = ("No space left on device", "os error 28", "Disk quota exceeded", "os error 122")


class DiskFull(Exception):
    """Writing the index failed for want of space; str() says where and how much is free."""

    def __init__(self, folder: Path) -> None:
        free = free_bytes(folder)
        left = f"{free / 2**20:.1f} MB free" if free is not None else "free space unknown"
        super().__init__(
            f"the disk holding {folder} is full ({left}): free some space or set "
            "index.data_dir elsewhere; files indexed so far stay searchable and the "
            "rest are indexed on the next run"
        )


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(marker in str(exc) for marker in _FULL)


def free_bytes(folder: Path) -> int | None:
    """Free bytes on the filesystem of `folder` (or of its nearest existing parent)."""
    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def space_is_low(folder: Path) -> bool:
    free = free_bytes(folder)
    return free is not None and free < LOW_SPACE_BYTES
