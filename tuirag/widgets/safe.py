"""Untrusted text (documents, paths, model output) as inert Rich Text.

Never f-string such text into markup: `[bold]` or `[link=…]` in a file must show
as written, and escape sequences must not reach the terminal.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from tuirag.text import safe_name, strip_controls


def untrusted(text: str, style: str = "") -> Text:
    return Text(strip_controls(text), style=style)


def short_path(path: str, roots: list[Path] | None = None) -> str:
    """A path relative to the folder it was indexed from, else with ~ for home."""
    p = Path(path)
    for root in roots or []:
        if root in p.parents:
            return safe_name(f"{root.name}/{p.relative_to(root)}")
    home = Path.home()
    return safe_name(f"~/{p.relative_to(home)}" if home in p.parents else path)
