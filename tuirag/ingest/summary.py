"""The index's summary, kept by its single writer, so `tuirag status` and the app's
status line read one small JSON file instead of opening LanceDB and the model.

`summary.json` sits in the index folder. The writer rewrites it (atomically, at most
about once a second while busy) after each batch of files, each batch of vectors and
at the end of every pass; `progress` names the running ingest (pid, phase, n of m)
and is dropped when the pass ends. A pid that is gone means the run was killed: its
work so far is in the index and the next run resumes it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuirag.backends.lock import pid_alive

if TYPE_CHECKING:
    from tuirag.backends.store import Store

FILE = "summary.json"


@dataclass
class Progress:
    pid: int
    phase: str  # "parsing" (files, n of m) | "embedding" (chunks, n of m)
    done: int
    total: int
    since: float  # when this pass started (epoch seconds)

    def describe(self) -> str:
        """`parsing 12 of 40 files`, `embedding 1,200 of 5,000 chunks`."""
        unit = "files" if self.phase == "parsing" else "chunks"
        return f"{self.phase} {self.done:,} of {self.total:,} {unit}"

    @property
    def alive(self) -> bool:
        return pid_alive(self.pid)


@dataclass
class Summary:
    embedder: str = ""  # the label `status` prints, so it needs no model
    files: int = 0  # indexed without error
    failed: int = 0
    skipped: int = 0  # left out with a record (too big, empty, a secret, no text)
    unsupported: int = 0  # files no plugin reads, in the last full scan
    chunks: int = 0
    embedded: int = 0  # chunks with a vector; the rest are found by keyword only
    last_change: float | None = None  # when the index content last changed
    not_considered: dict[str, int] = field(default_factory=dict)  # by ignore rule, last scan
    problems: list[dict[str, str]] = field(default_factory=list)  # path, status, reason
    progress: Progress | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read(index_folder: Path) -> Summary | None:
    """The summary, or None when the writer never wrote one (an index from before)."""
    try:
        data = json.loads((index_folder / FILE).read_text())
        progress = data.pop("progress", None)
        summary = Summary(**data)
        summary.progress = Progress(**progress) if progress else None
    except (OSError, ValueError, TypeError):
        return None
    return summary


def write(index_folder: Path, summary: Summary) -> None:
    tmp = index_folder / f"{FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(summary.to_json(), ensure_ascii=False))
    tmp.replace(index_folder / FILE)


def collect(store: Store, base: Summary) -> Summary:
    """`base` with the store's current counts and problem files (counts only, no scan)."""
    counts = store.counts()
    base.files, base.failed, base.skipped = counts.files, counts.failed, counts.skipped
    base.chunks, base.embedded = counts.chunks, counts.embedded
    base.problems = [
        {"path": r.path, "status": r.status, "reason": r.reason} for r in store.problems()
    ]
    return base
