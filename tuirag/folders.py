"""The folders the app indexes, and the commands that change them (no Textual).

Configured folders come first, then those named on the command line. Adding or
removing one saves the config and tells the background indexer; each command
returns the line the UI shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tuirag import config_file
from tuirag.config import Settings
from tuirag.errors import UserError
from tuirag.paths import absolute

if TYPE_CHECKING:
    from tuirag.ingest.background import BackgroundIndexer


class Folders:
    def __init__(
        self,
        settings: Settings,
        configured: Callable[[], list[Path]],
        extra: Iterable[Path] = (),
        background: Callable[[], BackgroundIndexer | None] = lambda: None,
    ) -> None:
        self.settings = settings
        self._configured = configured  # index.folders as the indexer resolves them
        self.extra = [absolute(p) for p in extra]
        self._background = background

    def roots(self) -> list[Path]:
        """Folders kept indexed: configured ones, then those named on the command line."""
        roots = [absolute(p) for p in self._configured()]
        return roots + [p for p in self.extra if p not in roots]

    def config_path(self) -> Path:
        return config_file.destination(self.settings)

    def save_settings(self) -> None:
        """Write settings changed in the app back to the config file (atomically)."""
        config_file.save(self.settings)

    def add(self, folder: Path) -> str:
        """Watch one more folder and save it in the config; UserError if it is not a folder.

        Returns what to tell the user ("" when the folder was configured already)."""
        folder = absolute(folder)
        if not folder.is_dir():
            raise UserError(f"not a folder: {folder}")
        message = ""  # nothing to say when it was configured already
        if str(folder) not in self.settings.index.folders:
            self.settings.index.folders.append(str(folder))
            self.save_settings()
            message = f"Watching {folder} (saved in {self.config_path()}){self._by_other()}"
        if (background := self._background()) is not None:
            background.add_folder(folder)  # queued: applies here only if this app writes
        return message

    def remove(self, folder: Path) -> str:
        self.settings.index.folders = [
            f for f in self.settings.index.folders if absolute(f) != folder
        ]
        self.extra = [p for p in self.extra if p != folder]
        self.save_settings()
        if (background := self._background()) is not None:
            background.remove_folder(folder, forget=True)
        return f"No longer watching {folder}; its files leave the index{self._by_other()}"

    def reindex(self, folder: Path | None = None, force: bool = False) -> None:
        if (background := self._background()) is not None:
            background.reindex(folder, force=force)

    def _by_other(self) -> str:
        """While `tuirag watch` writes the index, it applies folder changes from the config."""
        background = self._background()
        writer = background.writer_pid if background is not None else None
        return f"; the indexing process (pid {writer}) will pick it up" if writer else ""
