"""Watched folders: what is indexed, what is waiting, what failed and why.

Counts come from the index's file records (read in a thread worker); live
progress comes from the background indexer's events, forwarded by the app.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, ProgressBar, Static

from tuirag.ingest.events import Done, Embedding, Idle, IndexEvent, Indexing, Queued
from tuirag.screens.bindings import bind, focus_keys
from tuirag.screens.common import add_folder
from tuirag.screens.prompt import PromptScreen
from tuirag.widgets.safe import short_path, untrusted
from tuirag.widgets.status import StatusLine

if TYPE_CHECKING:
    from tuirag.app import TuiragApp
    from tuirag.backends.store import FileRecord


@dataclass
class FolderCounts:
    files: int = 0
    chunks: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def folder_counts(records: dict[str, FileRecord], roots: list[Path]) -> dict[Path, FolderCounts]:
    """Group file records by the watched folder they sit under."""
    counts = {root: FolderCounts() for root in roots}
    for path, record in records.items():
        root = next((r for r in roots if r in Path(path).parents), None)
        if root is None:
            continue
        c = counts[root]
        if record.status == "ok":
            c.files += 1
            c.chunks += record.chunks
        else:
            c.failed.append((path, record.reason))
    return counts


class IndexScreen(Screen[None]):
    app: TuiragApp

    BINDINGS: ClassVar[list[BindingType]] = [
        *focus_keys(),
        bind("add_folder", "add_folder", "Add folder"),
        bind("remove_folder", "remove_folder", "Remove folder"),
        bind("reindex", "reindex", "Re-index"),
        bind("rescan", "rescan", "Rescan"),
        bind("refresh", "refresh_counts", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pending: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Label("Watched folders", classes="section")
        folders: DataTable[object] = DataTable(id="folders", cursor_type="row")
        folders.add_columns("Folder", "Files", "Chunks", "Pending", "Failed")
        yield folders
        yield Static("", id="index-state", classes="hint")
        yield ProgressBar(id="index-progress", show_eta=False)
        yield Label("Files that failed", classes="section")
        failed: DataTable[object] = DataTable(id="failed", cursor_type="row")
        failed.add_columns("File", "Why")
        yield failed
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.app.index_events.subscribe(self, self._on_index_event)
        self.query_one("#index-progress").display = False

    def on_screen_resume(self) -> None:
        self.action_refresh_counts()
        self.query_one("#folders").focus()

    def _on_index_event(self, event: IndexEvent) -> None:
        bar = self.query_one("#index-progress", ProgressBar)
        if isinstance(event, Queued):
            self.pending.add(event.path)
        elif isinstance(event, Indexing):
            bar.display = True
            bar.update(total=max(event.total, 1), progress=event.done)
            self.query_one("#index-state", Static).update(
                untrusted(f"indexing {event.done} of {event.total}: {short_path(event.path)}")
            )
        elif isinstance(event, Embedding):
            bar.display = True
            bar.update(total=max(event.total, 1), progress=event.done)
            self.query_one("#index-state", Static).update(
                f"embedded {event.done:,} of {event.total:,} chunks (found by keyword meanwhile)"
            )
        elif isinstance(event, Done):
            self.pending.discard(event.outcome.path)
        elif isinstance(event, Idle):
            bar.display = False
            self.pending.clear()
            self.query_one("#index-state", Static).update("")
            self.action_refresh_counts()

    def action_refresh_counts(self) -> None:
        self._load_counts(self.app.folders.roots())

    @work(exclusive=True, exit_on_error=False, group="index-counts")
    async def _load_counts(self, roots: list[Path]) -> None:
        app = self.app
        await app.index_ready.wait()
        if app.index_error:
            return

        def read() -> dict[Path, FolderCounts]:
            store = app.services.store
            store.refresh()
            return folder_counts(store.file_records(), roots)

        self._show(await asyncio.to_thread(read))

    def _show(self, counts: dict[Path, FolderCounts]) -> None:
        folders = self.query_one("#folders", DataTable)
        cursor = folders.cursor_row
        folders.clear()
        pending = Counter(
            next((r for r in counts if r in Path(p).parents), None) for p in self.pending
        )
        for root, c in counts.items():
            folders.add_row(
                untrusted(short_path(str(root))),
                str(c.files),
                str(c.chunks),
                str(pending.get(root, 0)),
                str(len(c.failed)),
                key=str(root),
            )
        if counts:
            folders.move_cursor(row=min(cursor, len(counts) - 1))
        failed = self.query_one("#failed", DataTable)
        failed.clear()
        for c in counts.values():
            for path, reason in sorted(c.failed):
                failed.add_row(untrusted(short_path(path, list(counts))), untrusted(reason))
        if not counts:
            self.query_one("#index-state", Static).update(
                untrusted(
                    f"No folders yet: press {self.app.key_label('add_folder')} to add one "
                    "(it is saved in your config)."
                )
            )

    def _selected(self) -> Path | None:
        folders = self.query_one("#folders", DataTable)
        if not folders.row_count:
            return None
        return Path(str(folders.coordinate_to_cell_key(folders.cursor_coordinate).row_key.value))

    def action_add_folder(self) -> None:
        def chosen(folder: str | None) -> None:
            if not folder:
                return
            if add_folder(self, self.app.folders, Path(folder)):
                self.action_refresh_counts()

        self.app.push_screen(PromptScreen("Add a folder to watch:", str(Path.cwd())), chosen)

    def action_remove_folder(self) -> None:
        folder = self._selected()
        if folder is not None:
            self.notify(self.app.folders.remove(folder), markup=False)
            self.action_refresh_counts()

    def action_reindex(self) -> None:
        """Parse every file of the folder again, changed or not (vectors are reused)."""
        folder = self._selected()
        if folder is not None:
            self.app.folders.reindex(folder, force=True)
            self.notify(f"Re-indexing every file in {folder}", markup=False)

    def action_rescan(self) -> None:
        """Look for files changed on disk that the watcher missed; unchanged ones are skipped."""
        folder = self._selected()
        if folder is not None:
            self.app.folders.reindex(folder)
            self.notify(f"Rescanning {folder} for changes", markup=False)
