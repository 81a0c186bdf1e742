"""Terminal output for the CLI: plain when piped, never interpreting document text."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from rich.style import Style
from rich.text import Text

from tuirag.text import strip_controls


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # Rich would exit(1) here; let the CLI's one handler end every command alike
        raise BrokenPipeError


def console(stderr: bool = False) -> Console:
    # markup and emoji off: paths and document text are shown exactly as they are
    return _Console(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=True)


def reader_gone() -> None:
    """stdout's reader closed the pipe (`| head -1`, `| grep -q`): stop writing, quietly.

    Pointing stdout at /dev/null keeps the interpreter's final flush from raising again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def is_tty() -> bool:
    return sys.stdout.isatty()


def error(message: str) -> None:
    console(stderr=True).print(Text("tuirag: ") + Text(strip_controls(message), style="bold red"))


def note(message: str) -> None:
    console(stderr=True).print(Text(strip_controls(message), style="dim"))


def path_text(path: str, style: str = "") -> Text:
    """A path shown literally, clickable (OSC 8 file:// link) in terminals that support it."""
    shown = strip_controls(path)
    uri = Path(path).as_uri() if Path(path).is_absolute() else ""
    return Text(shown, style=Style.parse(style) + Style(link=uri) if uri else style)
