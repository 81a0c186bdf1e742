"""The status line at the bottom of every screen: model (loading, on GPU?), backend, index,
last answer speed."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from tuirag.backends.gpu import FULL_SHARE
from tuirag.widgets.safe import untrusted


@dataclass(frozen=True, slots=True)
class Status:
    model: str = ""
    ollama: str = "checking"  # checking | up | down | local (llama.cpp in this process)
    index: str = "opening the index…"
    busy: bool = False  # indexing right now
    loading: bool = False  # the model is being loaded (seconds: say so, do not look hung)
    load_ms: float | None = None  # the last model load
    gpu_share: float | None = None  # part of the loaded model in VRAM (/api/ps)
    first_token_ms: float | None = None
    tokens_per_s: float | None = None


_OLLAMA = {
    "up": ("●", "bold green"),
    "local": ("●", "bold green"),
    "down": ("●", "bold red"),
    "checking": ("○", "dim"),
}
_BACKEND = {"up": "ollama up", "down": "ollama not running", "local": "llama.cpp"}


def render_status(status: Status) -> Text:
    mark, style = _OLLAMA.get(status.ollama, _OLLAMA["checking"])
    line = Text()
    line.append(f"{mark} ", style=style)
    line.append_text(untrusted(status.model or "no model"))
    line.append("  " + _BACKEND.get(status.ollama, "ollama …"))
    if status.loading:
        line.append(" · loading model…", style="bold yellow")
    if status.gpu_share is not None and status.gpu_share < FULL_SHARE:
        # part of the model runs on the CPU: answers several times slower
        line.append(f" · {status.gpu_share:.0%} on GPU", style="bold yellow")
    line.append("  │  ")
    line.append_text(untrusted(status.index))
    timings = []
    if status.first_token_ms is not None:
        timings.append(f"first token {status.first_token_ms / 1000:.1f} s")
        if status.tokens_per_s:
            timings.append(f"{status.tokens_per_s:.0f} tok/s")
    if status.load_ms:
        timings.append(f"load {status.load_ms / 1000:.1f} s")
    if timings:
        line.append("  │  " + " · ".join(timings))
    return line


class StatusLine(Static):
    """Follows the app's `status` reactive; never computes anything itself."""

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._show)

    def _show(self, status: Status) -> None:
        self.update(render_status(status))
        self.set_class(status.busy, "-busy")
