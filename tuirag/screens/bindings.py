"""Bindings built from `tuirag.keys`: default keys and a stable id that `[ui.keys]` remaps."""

from __future__ import annotations

from textual.binding import Binding

from tuirag.keys import DEFAULTS


def bind(action_id: str, action: str, description: str, *, show: bool = True,
         priority: bool = False) -> Binding:
    return Binding(DEFAULTS[action_id], action, description, show=show, priority=priority,
                   id=action_id)
