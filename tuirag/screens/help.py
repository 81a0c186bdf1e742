"""Help (F1 or ?): every key of the screen it was opened from, and where to go next."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tuirag.screens.bindings import bind, focus_keys

if TYPE_CHECKING:
    from tuirag.app import Command, TuiragApp

ABOUT = (
    "Ctrl+P opens the command palette: every action below, searchable.\n"
    "Tab moves between the question, the conversation and the sources.\n"
    "Narrow a question to some files by starting it with kind:pdf|table|code|doc\n"
    "and/or path:GLOB, e.g.  kind:pdf path:manuals/* how do I reset it?\n"
    "Nothing you index leaves this machine; only the Ollama host sees passages."
)


class HelpScreen(ModalScreen[None]):
    app: TuiragApp  # type: ignore[assignment]

    BINDINGS: ClassVar[list[BindingType]] = [
        *focus_keys(),
        bind("close_help", "dismiss", "Close"),
    ]

    def __init__(self, commands: list[Command]) -> None:
        super().__init__()
        self.commands = commands

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for command in self.commands:
            table.add_row(Text(command.key), Text(command.description))
        with VerticalScroll(id="help") as box:
            box.border_title = "Keys"
            box.border_subtitle = Text(f"{self.app.key_label('close_help')} closes")
            yield Static(table)
            yield Static(ABOUT, classes="hint", markup=False)
