"""A cited passage in the context of its file, and a key to open the file itself.

Text files are read from disk and the cited lines highlighted; other formats
(PDF, DOCX, …) show the file's indexed chunks in order with the cited one
highlighted. Everything shown is inert text: markup and escapes appear literally.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Static

from tuirag.screens.bindings import bind, focus_keys
from tuirag.text import strip_controls
from tuirag.types import Hit
from tuirag.widgets.safe import untrusted

if TYPE_CHECKING:
    from tuirag.app import TuiragApp

MAX_PREVIEW_BYTES = 2 * 2**20
CONTEXT_LINES = 60


@dataclass(frozen=True, slots=True)
class Block:
    text: Text
    match: bool = False


def line_blocks(path: Path, start: int, end: int) -> list[Block] | None:
    """The cited lines with context around them, or None if the file is not text."""
    try:
        if path.stat().st_size > MAX_PREVIEW_BYTES:
            return None
        lines = path.read_bytes().decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    first = max(1, start - CONTEXT_LINES)
    last = min(len(lines), end + CONTEXT_LINES)
    width = len(str(last))

    def numbered(lo: int, hi: int, style: str = "") -> Text:
        out = Text()
        for n in range(lo, hi + 1):
            out.append(f"{n:>{width}} ", style="dim")
            out.append_text(untrusted(lines[n - 1], style))
            if n < hi:
                out.append("\n")
        return out

    blocks = []
    if first < start:
        blocks.append(Block(numbered(first, start - 1)))
    blocks.append(Block(numbered(start, min(end, len(lines))), match=True))
    if end < last:
        blocks.append(Block(numbered(end + 1, last)))
    return blocks


def chunk_blocks(hit: Hit, chunks: list[Hit]) -> list[Block]:
    """The file's indexed chunks in order; the cited one marked."""
    blocks = []
    for chunk in chunks or [hit]:
        head = Text(f"{chunk.locator or 'chunk'}\n", style="dim")
        blocks.append(Block(head + untrusted(chunk.text), match=chunk.chunk_id == hit.chunk_id))
    return blocks


def open_command(hit: Hit, environ: os._Environ[str] | dict[str, str] = os.environ) -> list[str]:
    """$VISUAL/$EDITOR at the cited line; else $PAGER (less) at that line."""
    editor = environ.get("VISUAL") or environ.get("EDITOR")
    line = hit.start_line
    if editor:
        return [*shlex.split(editor), *([f"+{line}"] if line else []), hit.path]
    pager = shlex.split(environ.get("PAGER") or "less")
    at_line = [f"+{line}g"] if line and Path(pager[0]).name == "less" else []
    return [*pager, *at_line, hit.path]


class PreviewScreen(ModalScreen[None]):
    app: TuiragApp

    BINDINGS: ClassVar[list[BindingType]] = [
        *focus_keys(),
        bind("close_preview", "dismiss", "Close"),
        bind("open_in_editor", "open_file", "Open in editor"),
        bind("copy_passage", "copy_passage", "Copy passage"),
    ]

    def __init__(self, hit: Hit, title: str) -> None:
        super().__init__()
        self.hit = hit
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="preview") as scroll:
            scroll.border_title = untrusted(self.title_text)  # a str here would be markup
            label = self.app.key_label
            scroll.border_subtitle = untrusted(
                f"{label('open_in_editor')} open · "
                f"{label('copy_passage')} copy · "
                f"{label('close_preview')} close"
            )
            yield Static(Text("Loading…", style="dim"), id="preview-loading")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def load(self) -> None:
        hit = self.hit
        blocks = None
        if hit.start_line is not None:
            blocks = line_blocks(Path(hit.path), hit.start_line, hit.end_line or hit.start_line)
        if blocks is None:
            chunks = self.app.services.store.chunk_neighbours(hit.path)
            blocks = chunk_blocks(hit, chunks)
        # mypy infers Never for a coroutine function's result here
        self.app.call_from_thread(self._show, blocks)  # type: ignore[arg-type]

    async def _show(self, blocks: list[Block]) -> None:
        scroll = self.query_one("#preview", VerticalScroll)
        await scroll.remove_children()
        widgets = [
            Static(b.text, classes="passage -match" if b.match else "passage") for b in blocks
        ]
        await scroll.mount_all(widgets)
        match = next((w for w, b in zip(widgets, blocks, strict=True) if b.match), None)
        if match is not None:
            # once laid out (new widgets have no place before), put the match at the top
            self.call_after_refresh(self._show_match, match)

    def _show_match(self, widget: Widget) -> None:
        scroll = self.query_one("#preview", VerticalScroll)
        scroll.scroll_to(y=widget.virtual_region.y, animate=False)

    def action_open_file(self) -> None:
        command = open_command(self.hit)
        try:
            try:
                with self.app.suspend():
                    subprocess.run(command, check=False)
            except SuspendNotSupported:  # headless, or a terminal that cannot hand over
                subprocess.run(command, check=False, stdin=subprocess.DEVNULL)
        except OSError as exc:
            self.notify(f"cannot run {command[0]}: {exc.strerror}", severity="error", markup=False)

    def action_copy_passage(self) -> None:
        self.app.copy_to_clipboard(strip_controls(self.hit.text))
        self.notify("Passage copied (OSC 52)")
