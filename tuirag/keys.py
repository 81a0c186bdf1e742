"""The app's remappable keys: one id per action, its default keys, and the check for `[ui.keys]`.

Kept free of Textual so the config can be validated without loading the UI; the
screens build their Bindings from `DEFAULTS` (see `tuirag.screens.bindings`) and
the app hands `[ui.keys]` to Textual's keymap, which rebinds by these ids.
Key strings are Textual's: "ctrl+g", "f7", "escape", "question_mark" or "?",
several separated by commas.
"""

from __future__ import annotations

import string
import unicodedata

SCREENS: dict[str, dict[str, str]] = {
    "app": {  # every screen
        "quit": "ctrl+q",
        "help": "f1,question_mark",
        "show_chat": "f2",
        "show_index": "f3",
        "show_models": "f4",
        "show_sessions": "f5",
        "toggle_theme": "f6",
        "command_palette": "ctrl+p",
        "focus_next": "tab",
        "focus_previous": "shift+tab",
    },
    "chat": {
        "stop": "escape",
        "regenerate": "ctrl+r",
        "copy_answer": "ctrl+y",
        "new_chat": "ctrl+n",
        "export_chat": "ctrl+s",
        "toggle_sources": "ctrl+b",
        "focus_question": "ctrl+l",
        "previous_answer": "up",
        "next_answer": "down",
    },
    "index": {
        "add_folder": "a",
        "remove_folder": "d,delete",
        "reindex": "r",
        "rescan": "s",
        "refresh": "u",
    },
    "models": {"use_model": "enter", "pull_model": "p", "refresh": "u"},
    "sessions": {
        "resume_session": "enter",
        "delete_session": "d,delete",
        "export_session": "x",
        "search_sessions": "slash",
    },
    "preview": {"close_preview": "escape,q", "open_in_editor": "e", "copy_passage": "c"},
    "help": {"close_help": "escape,q,f1,question_mark"},
    "prompt": {"cancel_prompt": "escape"},
}
MODALS = frozenset({"preview", "help", "prompt"})  # over the app's keys on purpose: F1 closes help
DEFAULTS: dict[str, str] = {i: k for keys in SCREENS.values() for i, k in keys.items()}

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED = frozenset(
    {
        "escape",
        "enter",
        "tab",
        "space",
        "backspace",
        "delete",
        "insert",
        "home",
        "end",
        "pageup",
        "pagedown",
        "up",
        "down",
        "left",
        "right",
    }
    | {f"f{n}" for n in range(1, 25)}
)
# Textual names punctuation keys by their Unicode names, a few of them shortened
_SHORT = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}
_PUNCTUATION = {
    _SHORT.get(name, name): char
    for char in string.punctuation
    for name in [unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")]
}
_NAMES = {char: name for name, char in _PUNCTUATION.items()}


def bad_key(keys: str) -> str | None:
    """The first key in a comma-separated key string that is not a key, or None if all are."""
    for key in keys.split(","):
        key = key.strip()
        *modifiers, base = key.split("+")
        plain = len(base) == 1 and base.isprintable() and not base.isspace()
        if not (plain or base in _NAMED or base in _PUNCTUATION) or not set(modifiers) <= MODIFIERS:
            return key
    return None


def clash(keymap: dict[str, str]) -> tuple[str, str, str, str] | None:
    """Two actions of one screen on one key once `keymap` applies: (key, id, id, screen).

    Textual would silently keep only one of them.
    """
    for screen, ids in SCREENS.items():
        scope = ids if screen in MODALS or screen == "app" else {**SCREENS["app"], **ids}
        owner: dict[str, str] = {}
        for action_id in scope:
            for key in keys_for(action_id, keymap).split(","):
                if (other := owner.setdefault(_named(key), action_id)) != action_id:
                    return _named(key), other, action_id, screen
    return None


def _named(key: str) -> str:
    """A key as Textual names it: "?" is "question_mark", "ctrl+/" is "ctrl+slash"."""
    *modifiers, base = key.strip().split("+")
    return "+".join([*modifiers, _NAMES.get(base, base)])


def first_key(action_id: str, keymap: dict[str, str]) -> str:
    """The key the footer shows for an action, in Textual's names."""
    return _named(keys_for(action_id, keymap).split(",")[0])


def keys_for(action_id: str, keymap: dict[str, str]) -> str:
    """The keys bound to `action_id` now: remapped in [ui.keys] or the default."""
    return keymap.get(action_id) or DEFAULTS[action_id]


def label(action_id: str, keymap: dict[str, str]) -> str:
    """The first key of an action as prose names it: "Esc", "F1", "Ctrl+G", "a", "?"."""
    *modifiers, base = first_key(action_id, keymap).split("+")
    base = _PUNCTUATION.get(base, {"escape": "Esc"}.get(base, base))
    if len(base) > 1 or modifiers:
        base = base.capitalize()
    return "+".join([*(m.capitalize() for m in modifiers), base])
