"""Why a search or a question found nothing, said truthfully, with the command that fixes it.

"Nothing found" has five causes a user must tell apart: the index is still opening,
nothing is indexed yet because indexing is under way (n of m files), nothing is
indexed at all, a folder the user watches has no file indexed, or a real no-match.
The CLI (`ask`, `search`) and the app both build an `IndexState` and ask here, so
they say the same thing; nothing here imports Textual.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tuirag.paths import absolute, within

if TYPE_CHECKING:
    from tuirag.backends.store import Store
    from tuirag.search.filters import SearchFilter


@dataclass(frozen=True, slots=True)
class IndexState:
    chunks: int = 0  # searchable now
    opening: bool = False  # the index is not open yet
    indexing: tuple[int, int] | None = None  # (done, total) files of a running pass
    writer_pid: int | None = None  # another process writes the index (`tuirag watch`)
    writer_progress: str = ""  # how far that process is ("parsing 12 of 40 files"), if known
    folders: list[Path] = field(default_factory=list)  # the folders meant to be indexed
    unindexed: list[Path] = field(default_factory=list)  # of those, with no file indexed


def unindexed_folders(store: Store, folders: Iterable[Path]) -> list[Path]:
    """Folders with no indexed file under them (never ingested, or all their files failed)."""
    folders = list(folders)
    if not folders:
        return []
    indexed = [Path(p) for p, r in store.file_records().items() if r.status == "ok"]
    return [f for f in folders if not any(within(p, [f]) for p in indexed)]


def index_state(
    store: Store, folders: Sequence[Path], indexing: tuple[int, int] | None = None
) -> IndexState:
    """The state of an open index (reads its file records: call it off the event loop).

    `indexing` is this process's own pass, if it runs one; else another process that
    holds the writer lock is asked about.
    """
    store.refresh()
    folders = [absolute(f) for f in folders]
    writer = filler(store) if indexing is None else None
    return IndexState(
        store.count(),
        indexing=indexing,
        writer_pid=writer,
        writer_progress=_writer_progress(store.folder, writer) if writer else "",
        folders=folders,
        unindexed=unindexed_folders(store, folders),
    )


def _writer_progress(index_folder: Path, pid: int) -> str:
    """What the writer's summary says of its running pass (see ingest/summary)."""
    from tuirag.ingest import summary

    known = summary.read(index_folder)
    progress = known.progress if known is not None else None
    return progress.describe() if progress is not None and progress.pid == pid else ""


def _progress(state: IndexState) -> str:
    if state.indexing is not None:
        done, total = state.indexing
        return f"indexing is under way ({done} of {total} files)"
    if state.writer_pid is not None:
        how_far = f" ({state.writer_progress})" if state.writer_progress else ""
        return f"another tuirag process (pid {state.writer_pid}) is indexing{how_far}"
    return ""


def _names(folders: Sequence[Path]) -> str:
    shown = ", ".join(str(f) for f in folders[:3])
    return shown + (f" and {len(folders) - 3} more" if len(folders) > 3 else "")


def no_match_message(
    state: IndexState,
    best_cosine: float | None = None,
    min_score: float = 0.0,
    where: SearchFilter | None = None,
) -> str:
    """One paragraph: why nothing was found, and what to run.

    `best_cosine` is the closest passage's score when passages were found but none
    was related enough (answers); None when the search itself came back empty.
    `where` is the filter the search ran with: a no-match may be the filter's doing.
    """
    progress = _progress(state)
    if state.opening:
        return "The index is still opening; ask again in a moment."
    if not state.chunks:
        if progress:
            return (
                f"Nothing is searchable yet: {progress}. Ask again when it is done "
                "(`tuirag status` shows how far it is)."
            )
        if not state.folders:
            return (
                "The index is empty: no folder is indexed. Index one with "
                "`tuirag ingest FOLDER` (it is added to your folders)."
            )
        return (
            f"The index is empty, though {_names(state.folders)} "
            f"{'is' if len(state.folders) == 1 else 'are'} configured: run `tuirag ingest` "
            "(or keep `tuirag watch` running)."
        )
    among = f"files matching {where.describe()}" if where else "your indexed documents"
    if best_cosine is not None:
        found = (
            f"{among[0].upper()}{among[1:]} do not seem to contain this: the closest passage "
            f"scores {best_cosine:.2f}, below answer.min_score = {min_score:.2f}, "
            "and shares few of the question's words."
        )
        fix = "Try other words or lower answer.min_score."
    else:
        found = f"No passage in {among} matches this."
        fix = "Try other words."
    if where:
        fix = f"{fix} Or drop the filter ({where.describe()}) to search everything."
    notes = [found]
    if progress:
        notes.append(f"Not everything is searchable yet: {progress}; ask again when it is done.")
    if state.unindexed:
        notes.append(
            f"Nothing is indexed from {_names(state.unindexed)}: run "
            f"`tuirag ingest {shlex.quote(str(state.unindexed[0]))}`."
        )
    if not progress and not state.unindexed:
        notes.append(fix)
    return " ".join(notes)


def filler(store: Store) -> int | None:
    """The pid of another process that may be filling this index: it holds the writer
    lock, and is not a watcher (the app, `tuirag watch`) with no folder to index."""
    from tuirag.backends.lock import WriterLock, pid_alive
    from tuirag.ingest import watchstate

    pid = WriterLock(store.folder).holder()
    if not pid or pid == os.getpid() or not pid_alive(pid):
        return None
    watching = watchstate.read(store.folder)
    if watching is not None and watching.get("pid") == pid and not watching.get("folders"):
        return None
    return pid


def wait_for_first_chunks(
    store: Store, timeout: float, on_wait: Callable[[int], None], poll: float = 0.5
) -> None:
    """An empty index that another process is filling: wait (up to `timeout`) for its first
    committed chunks, so a question asked during a first ingest is answered, not told
    "empty". `on_wait(pid)` is called once when there is something to wait for."""
    deadline = time.monotonic() + timeout
    told = False
    while not store.searchable_count() and (pid := filler(store)) is not None:
        if time.monotonic() > deadline:
            return
        if not told:
            on_wait(pid)
            told = True
        time.sleep(poll)
        store.refresh()
