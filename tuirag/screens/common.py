"""What more than one screen does: add a folder to watch, export a session, preview a passage.

Kept apart from the screens that own these actions so that the chat screen, drawn
first, does not import the Index and Sessions screens (and their tables) to offer them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.screen import Screen

from tuirag.errors import UserError
from tuirag.sessions import Session, SessionError, export_file

if TYPE_CHECKING:
    from tuirag.folders import Folders
    from tuirag.types import Hit


def add_folder(screen: Screen[None], folders: Folders, folder: Path) -> bool:
    """Add a folder to watch, saying so (or why not); False if it is not a folder."""
    try:
        said = folders.add(folder)
    except UserError as exc:
        screen.notify(str(exc), severity="error", markup=False)
        return False
    if said:
        screen.notify(said, markup=False)
    return True


def export_session(screen: Screen[None], session: Session) -> None:
    """Export `session` as Markdown into the current folder, saying where (or why not)."""
    try:
        target = export_file(session, Path.cwd())
    except SessionError as exc:
        screen.notify(str(exc), severity="error", markup=False)
        return
    screen.notify(f"Exported to {target}", markup=False)


def open_preview(app: App[Any], hit: Hit, where: str) -> None:
    """Show `hit` in its file; `where` is its short path, the title adds its place."""
    from tuirag.screens.preview import PreviewScreen  # on demand: not in the first frame

    app.push_screen(PreviewScreen(hit, where + (f"  {hit.locator}" if hit.locator else "")))
