"""The sources of the selected answer: number, file, place in the file, score."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tuirag.formats.headings import short_path as heading_path
from tuirag.types import Hit
from tuirag.widgets.safe import short_path, untrusted

_HEADING_WIDTH = 36  # the panel's inner width at 80 columns, before it is laid out


def source_label(
    number: int, hit: Hit, roots: list[Path] | None = None, width: int = _HEADING_WIDTH
) -> Text:
    """`[1] docs/manual.pdf  p. 3  0.71`, then the heading path, shortened to `width`."""
    label = Text(f"[{number}] ", style="bold")
    label.append_text(untrusted(short_path(hit.path, roots)))
    if hit.locator and hit.locator != hit.heading:
        label.append_text(untrusted(f"  {hit.locator}", "italic"))
    score = hit.vector_score if hit.vector_score is not None else hit.score
    label.append(f"  {score:.2f}", style="dim")
    if hit.heading:
        label.append("\n    ")
        label.append_text(untrusted(heading_path(hit.heading, max(12, width - 4)), "dim italic"))
    return label


class SourcesList(OptionList):
    """Enter (or a click) on a source asks for its preview."""

    class Open(Message):
        def __init__(self, hit: Hit) -> None:
            super().__init__()
            self.hit = hit

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hits: list[Hit] = []
        self.border_title = "Sources"

    def show(self, hits: list[Hit], roots: list[Path] | None = None, note: str = "") -> None:
        self.hits = list(hits)
        self.clear_options()
        if not hits:
            self.add_option(Option(Text(note or "No sources yet.", style="dim"), disabled=True))
            return
        width = self.content_size.width or _HEADING_WIDTH
        self.add_options(
            Option(source_label(i, hit, roots, width)) for i, hit in enumerate(hits, 1)
        )
        if note:
            self.add_option(Option(Text(note, style="dim"), disabled=True))
        self.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self.hits):
            self.post_message(self.Open(self.hits[event.option_index]))
