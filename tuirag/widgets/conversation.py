"""The questions and answers: one Tab stop however long the chat, arrows pick an answer."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.message import Message

from tuirag.screens.bindings import bind


class Conversation(VerticalScroll):
    """Focused, Up/Down select the previous/next answer (its sources show beside it).

    Turns themselves take no focus, so the number of Tabs from the question to the
    sources stays the same as answers pile up.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("previous_answer", "move(-1)", "Previous answer", show=False),
        bind("next_answer", "move(1)", "Next answer", show=False),
    ]

    class Move(Message):
        def __init__(self, delta: int) -> None:
            super().__init__()
            self.delta = delta

    def action_move(self, delta: int) -> None:
        self.post_message(self.Move(delta))
