"""The sources of the selected answer: number, file, place in the file, score.

Below them, dimmed, the passages the search found but the relevance gate kept from
the model (answer.min_score), so a user can see what was left out and open it.
"""

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
        self.hits: list[Hit | None] = []  # per option: the passage it opens, if any
        self.border_title = "Sources"

    def show(
        self,
        hits: list[Hit],
        roots: list[Path] | None = None,
        note: str = "",
        left_out: list[Hit] | None = None,
    ) -> None:
        self.clear_options()
        self.hits = []
        width = self.content_size.width or _HEADING_WIDTH
        if not hits:
            self._add_note(note or "No sources yet.")
        for i, hit in enumerate(hits, 1):
            self._add(Option(source_label(i, hit, roots, width)), hit)
        if hits and note:
            self._add_note(note)
        if left_out:
            self._add_note("Weak matches, not sent:")  # below answer.min_score: fits at 80 columns
            for i, hit in enumerate(left_out, len(hits) + 1):
                label = source_label(i, hit, roots, width)
                label.stylize("dim")
                self._add(Option(label), hit)
        if any(self.hits):
            self.highlighted = next(i for i, hit in enumerate(self.hits) if hit is not None)

    def _add(self, option: Option, hit: Hit | None) -> None:
        self.add_option(option)
        self.hits.append(hit)

    def _add_note(self, text: str) -> None:
        self._add(Option(Text(text, style="dim"), disabled=True), None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        hit = self.hits[event.option_index] if event.option_index < len(self.hits) else None
        if hit is not None:
            self.post_message(self.Open(hit))
