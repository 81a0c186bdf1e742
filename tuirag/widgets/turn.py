"""One question and its answer in the conversation.

The answer is Markdown streamed through `MarkdownStream` (which merges fragments
when they arrive faster than it can render). Links are never opened on click:
model output is untrusted, so a click only shows the URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from tuirag.sessions import Turn
from tuirag.text import strip_controls
from tuirag.widgets.safe import untrusted

if TYPE_CHECKING:
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream


class TurnView(Vertical):
    """Click a turn (or pick it with Up/Down in the conversation) to see its sources;
    the chat screen drives the streaming."""

    class Selected(Message):
        def __init__(self, view: TurnView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, turn: Turn) -> None:
        super().__init__(classes="turn")
        self.turn = turn
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        # Markdown (markdown-it, Pygments) is imported with the first turn, not at start-up
        from textual.widgets import Markdown

        yield Static(Text("› ", style="bold") + untrusted(self.turn.question), classes="question")
        yield Markdown(strip_controls(self.turn.answer), open_links=False, classes="answer")
        yield Static(self._meta_text(), classes="meta")

    @property
    def markdown(self) -> Markdown:
        from textual.widgets import Markdown

        return self.query_one(".answer", Markdown)

    async def write(self, fragment: str) -> None:
        fragment = strip_controls(fragment)
        self.turn.answer += fragment
        if self._stream is None:
            markdown = self.markdown
            self._stream = markdown.get_stream(markdown)
        await self._stream.write(fragment)

    async def finish(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    async def reset(self) -> None:
        """Clear the answer before asking again (regenerate)."""
        await self.finish()
        self.turn.answer = ""
        self.turn.error = ""
        self.turn.sources = []
        self.turn.timings = {}
        await self.markdown.update("")
        self.show_meta("thinking…")

    def show_meta(self, text: str = "", style: str = "") -> None:
        meta = self.query_one(".meta", Static)
        meta.update(untrusted(text, style) if text else self._meta_text())
        meta.set_class(bool(style), "-error")

    def _meta_text(self) -> Text:
        turn = self.turn
        if turn.error:
            return untrusted(turn.error, "bold red")
        parts = [f"{len(turn.sources)} source{'s' if len(turn.sources) != 1 else ''}"]
        first = turn.timings.get("first_token_ms")
        if first is not None:
            parts.append(f"first token {first / 1000:.1f} s")
        rate = turn.timings.get("tokens_per_s")
        if rate:
            parts.append(f"{rate:.0f} tok/s")
        load = turn.timings.get("load_ms")
        if load:  # this answer waited for the model to load
            parts.append(f"model load {load / 1000:.1f} s")
        if turn.timings.get("cached"):
            parts.append("from cache")
        return Text(" · ".join(parts), style="dim")

    def on_click(self) -> None:
        self.post_message(self.Selected(self))

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        self.app.notify(f"Link (not opened): {strip_controls(event.href)}", markup=False)
