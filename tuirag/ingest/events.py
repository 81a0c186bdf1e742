"""Progress of background indexing, published for the TUI and `tuirag watch` logs.

The indexing thread calls a listener with these; the TUI forwards them to the
event loop with `call_from_thread`, the CLI prints a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from tuirag.types import FileOutcome


@dataclass(frozen=True, slots=True)
class Queued:
    path: str
    pending: int  # files waiting, including this one


@dataclass(frozen=True, slots=True)
class Indexing:
    path: str
    done: int
    total: int  # of the current pass (reconcile scan or event batch)


@dataclass(frozen=True, slots=True)
class Done:
    outcome: FileOutcome  # indexed / unchanged / removed / failed / skipped, with reason


@dataclass(frozen=True, slots=True)
class Embedding:
    done: int  # chunks with a vector so far
    total: int  # chunks in the index


@dataclass(frozen=True, slots=True)
class Idle:
    files: int
    chunks: int
    embedded: int  # chunks with a vector; the rest are found by keyword only for now


NoticeLevel = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Notice:
    message: str  # e.g. "inotify limit reached for ~/src; polling it every 5 s"
    level: NoticeLevel = "info"


@dataclass(frozen=True, slots=True)
class Stopped:
    """Background indexing ended on an error: nothing is indexed until a restart."""

    error: str

    @property
    def message(self) -> str:
        return f"background indexing stopped: {self.error}"


IndexEvent = Queued | Indexing | Done | Embedding | Idle | Notice | Stopped
Listener = Callable[[IndexEvent], None]


def deliver(listener: Listener | None, event: IndexEvent) -> None:
    """Hand `event` to `listener`; what the listener raises is logged: it never stops
    indexing or watching."""
    if listener is None:
        return
    try:
        listener(event)
    except Exception:
        logging.getLogger(__name__).exception("index event listener failed on %r", event)
