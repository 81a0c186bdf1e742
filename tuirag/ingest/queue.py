"""Debounce and coalesce file-change hints before they reach the indexer.

One editor save fires several events (write temp, rename, attrib, close), and a
file being copied or appended fires a steady stream. Each path waits until it
has been quiet for `debounce_s` (trailing debounce), but never longer than
`max_wait_s` after its first event, so a file that never stops changing is still
indexed (watchdog's own debouncer can starve, #309/#997). Repeated events for a
queued path coalesce into one entry.

Pure logic: the caller passes `now` (or a clock), so tests need no sleeps. The
queue is bounded: past `capacity` distinct paths it drops them all and raises
`overflowed`, and the caller runs a full reconcile scan instead, which is what a
kernel queue overflow needs anyway (watchdog #654). Events are only hints; the
indexer re-reads the disk for every path it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["file", "tree"]  # one file, or a folder to rescan (created, moved, deleted)


@dataclass(slots=True)
class _Entry:
    first: float
    last: float
    kind: Kind


class ChangeQueue:
    def __init__(
        self,
        debounce_s: float,
        max_wait_s: float,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.debounce_s = max(0.0, debounce_s)
        self.max_wait_s = max(self.debounce_s, max_wait_s)
        self.capacity = max(1, capacity)
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._fresh: list[str] = []  # added since the last take_fresh()
        self.overflowed = False

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, path: str, kind: Kind = "file", now: float | None = None) -> None:
        """Note a change to `path`; restarts its quiet period. A tree beats a file."""
        now = self.clock() if now is None else now
        entry = self._entries.get(path)
        if entry is not None:
            entry.last = now
            if kind == "tree":
                entry.kind = "tree"
            return
        if self.overflowed:
            return  # a full scan is coming; it covers this path
        if len(self._entries) >= self.capacity:
            self._entries.clear()
            self._fresh.clear()
            self.overflowed = True
            return
        self._entries[path] = _Entry(now, now, kind)
        self._fresh.append(path)

    @property
    def has_news(self) -> bool:
        """Something to announce or act on before the next due time."""
        return bool(self._fresh) or self.overflowed

    def take_fresh(self) -> list[str]:
        """Paths queued since the last call (to announce them once)."""
        fresh, self._fresh = self._fresh, []
        return [p for p in fresh if p in self._entries]

    def take_overflow(self) -> bool:
        """True once after the queue overflowed: run a full reconcile."""
        flag, self.overflowed = self.overflowed, False
        return flag

    def pop_due(
        self, now: float | None = None, limit: int | None = None, slack: float = 0.0
    ) -> list[tuple[str, Kind]]:
        """Paths ready to index: quiet long enough, or waiting too long. Oldest first.

        Paths due within `slack` seconds come along, so both ends of a rename (queued
        microseconds apart) land in one batch and the new path reuses the old vectors.
        """
        now = (self.clock() if now is None else now) + slack
        due = [
            path
            for path, e in self._entries.items()
            if now - e.last >= self.debounce_s or now - e.first >= self.max_wait_s
        ]
        if limit is not None:
            due = due[:limit]
        return [(path, self._entries.pop(path).kind) for path in due]

    def next_due_in(self, now: float | None = None) -> float | None:
        """Seconds until some path is due (0 if one is now); None when empty."""
        if not self._entries:
            return None
        now = self.clock() if now is None else now
        soonest = min(
            min(e.last + self.debounce_s, e.first + self.max_wait_s) for e in self._entries.values()
        )
        return max(0.0, soonest - now)
