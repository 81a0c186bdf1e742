"""Help (F1 or ?): every key of the screen it was opened from, and where to go next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tuirag import keys
from tuirag.screens.bindings import bind, focus_keys

if TYPE_CHECKING:
    from tuirag.app import TuiragApp

ABOUT = (
    "Ctrl+P opens the command palette: every action below, searchable.\n"
    "Tab moves between the question, the conversation and the sources.\n"
    "Narrow a question to some files by starting it with kind:pdf|table|code|doc\n"
    "and/or path:GLOB, e.g.  kind:pdf path:manuals/* how do I reset it?\n"
    "Nothing you index leaves this machine; only the Ollama host sees passages."
)


class Command(NamedTuple):
    key: str  # as the footer shows it, e.g. "^n" or "f1, ?"
    description: str
    action: str
    node: App[Any] | Screen[Any]  # where the action runs


def commands(app: App[Any], screen: Screen[Any]) -> list[Command]:
    """Every action bound on `screen` or the app, with its keys: for help and the palette."""
    seen = set()
    found: list[tuple[Command, str | None]] = []
    for key, active in screen.active_bindings.items():
        binding, node = active.binding, active.node
        if not isinstance(node, App | Screen):
            continue  # a widget's own editing keys (Input's cursor moves, …)
        if binding.system or not binding.description or (node, binding.action) in seen:
            continue
        seen.add((node, binding.action))
        shown = [
            app.get_key_display(a.binding)
            for a in screen.active_bindings.values()
            if a.binding.action == binding.action and a.node is node
        ]
        found.append(
            (
                Command(
                    ", ".join(dict.fromkeys(shown)) or key,
                    binding.description,
                    binding.action,
                    node,
                ),
                binding.id,
            )
        )
    # the keymap moves rebound keys to the end of their screen's list: keep tuirag.keys'
    # order, with Textual's own keys (Tab, the palette) before or after as they were
    nodes = {node: n for n, node in enumerate(dict.fromkeys(c.node for c, _ in found))}
    ids = {action_id: n for n, action_id in enumerate(keys.DEFAULTS)}
    first: dict[object, int] = {}
    for n, (command, action_id) in enumerate(found):
        if action_id in ids:
            first.setdefault(command.node, n)

    def rank(n: int) -> tuple[int, int, int]:
        command, action_id = found[n]
        if action_id in ids:
            return nodes[command.node], 1, ids[action_id]
        return nodes[command.node], 0 if n < first.get(command.node, n + 1) else 2, n

    return [found[n][0] for n in sorted(range(len(found)), key=rank)]


class HelpScreen(ModalScreen[None]):
    app: TuiragApp

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
