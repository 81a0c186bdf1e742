"""Progress of background indexing, published for the TUI and `tuirag watch` logs.

The indexing thread calls a listener with these; the TUI forwards them to the
event loop with `call_from_thread`, the CLI prints a log line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Notice:
    message: str  # e.g. "inotify limit reached for ~/src; polling it every 5 s"
    level: str = "info"  # info | warning | error


IndexEvent = Queued | Indexing | Done | Embedding | Idle | Notice
Listener = Callable[[IndexEvent], None]
