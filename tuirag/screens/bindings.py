"""Bindings built from `tuirag.keys`: default keys and a stable id that `[ui.keys]` remaps."""

from __future__ import annotations

from textual.binding import Binding

from tuirag.keys import DEFAULTS


def focus_keys() -> list[Binding]:
    """Tab and Shift+Tab, which every Screen binds without an id: these [ui.keys] can move."""
    return [
        bind("focus_next", "app.focus_next", "Focus Next", show=False),
        bind("focus_previous", "app.focus_previous", "Focus Previous", show=False),
    ]


def bind(
    action_id: str, action: str, description: str, *, show: bool = True, priority: bool = False
) -> Binding:
    return Binding(
        DEFAULTS[action_id], action, description, show=show, priority=priority, id=action_id
    )
