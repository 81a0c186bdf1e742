"""What a running watcher tells `status` and `doctor`: its pid, how each folder is watched.

Written by the process that holds the index's writer lock, next to the lock file,
and removed when it stops; a file left by a killed process is ignored because its
pid is gone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tuirag.backends.lock import pid_alive

FILE = "watch.json"


def write(index_folder: Path, folders: dict[str, str]) -> None:
    tmp = index_folder / (FILE + ".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "folders": folders}))
    tmp.replace(index_folder / FILE)


def clear(index_folder: Path) -> None:
    (index_folder / FILE).unlink(missing_ok=True)


def read(index_folder: Path) -> dict[str, Any] | None:
    """The live watcher's state, or None when no watcher runs on this index."""
    try:
        state = json.loads((index_folder / FILE).read_text())
        pid = int(state["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if pid_alive(pid) else None


def polled(state: dict[str, Any] | None) -> dict[str, str]:
    """Folders the watcher polls (or misses), with why."""
    folders = (state or {}).get("folders", {})
    return {f: mode for f, mode in folders.items() if mode != "events"}
