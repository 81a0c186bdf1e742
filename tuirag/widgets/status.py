"""The status line at the bottom of every screen: model, Ollama, index, last answer speed."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from tuirag.widgets.safe import untrusted


@dataclass(frozen=True, slots=True)
class Status:
    model: str = ""
    ollama: str = "checking"  # checking | up | down
    index: str = "opening the index…"
    busy: bool = False  # indexing right now
    first_token_ms: float | None = None
    tokens_per_s: float | None = None


_OLLAMA = {
    "up": ("●", "bold green"),
    "down": ("●", "bold red"),
    "checking": ("○", "dim"),
}


def render_status(status: Status) -> Text:
    mark, style = _OLLAMA.get(status.ollama, _OLLAMA["checking"])
    line = Text()
    line.append(f"{mark} ", style=style)
    line.append_text(untrusted(status.model or "no model"))
    line.append("  ollama " + {"up": "up", "down": "not running"}.get(status.ollama, "…"))
    line.append("  │  ")
    line.append_text(untrusted(status.index))
    if status.first_token_ms is not None:
        line.append("  │  ")
        line.append(f"first token {status.first_token_ms / 1000:.1f} s")
        if status.tokens_per_s:
            line.append(f" · {status.tokens_per_s:.0f} tok/s")
    return line


class StatusLine(Static):
    """Follows the app's `status` reactive; never computes anything itself."""

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._show)

    def _show(self, status: Status) -> None:
        self.update(render_status(status))
        self.set_class(status.busy, "-busy")
