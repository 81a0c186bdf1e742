"""Helpers for driving the real app headless: wait for background work, read the screen."""

from __future__ import annotations

import html
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot

from tuirag.backends.store import Store
from tuirag.config import Settings
from tuirag.screens.chat import ChatScreen
from tuirag.services import Services
from tuirag.widgets.turn import TurnView


async def wait_until(
    pilot: Pilot, predicate: Callable[[], object], timeout: float = 15.0, what: str = ""
) -> None:
    """Poll (letting the app run) until `predicate()` is true; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f} s waiting for {what or predicate}; the screen:\n"
                + screen_text(pilot.app)
            )
        await pilot.pause(0.05)


_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>')


def screen_text(app: App) -> str:
    """What the terminal shows, as plain text lines (from Textual's own SVG export)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = defaultdict(list)
    for x, y, text in _TEXT.findall(svg):
        rows[float(y)].append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / 12.2)) + text
        lines.append(line)
    return "\n".join(lines)


def indexed_services(settings: Settings, embedder, folder: Path) -> Services:
    """Services over a fresh index of `folder`, which is also the configured folder."""
    settings.index.folders = [str(folder)]
    services = Services(settings, embedder=embedder)
    services.indexer().sync([folder])
    return services


class SlowServices(Services):
    """The index opens only once the test calls `open()` (or after `limit` seconds), as on
    a cold start of a loaded machine: keys pressed before are pressed before it is open."""

    limit = 60.0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()

    def open(self) -> None:
        self.gate.set()

    @cached_property
    def store(self) -> Store:
        self.gate.wait(self.limit)
        return Services.store.func(self)  # type: ignore[attr-defined]


async def ask_on_first_frame(pilot, question: str, enter: str = "enter") -> TurnView:
    await pilot.press(*question, enter)
    chat = pilot.app.screen
    assert isinstance(chat, ChatScreen)
    await wait_until(pilot, lambda: chat.query(TurnView), what="the question to show")
    return list(chat.query(TurnView))[-1]
