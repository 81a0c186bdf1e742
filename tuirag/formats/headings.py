"""Heading paths ("breadcrumbs"): built once for every format, shortened for display.

A chunk's heading path says where it sits ("R FAQ > 7 R Miscellanea > 7.10 How do I
convert factors to numeric?"). It is stored with the chunk, shown with every hit,
and takes part in full-text search and the embedding. Formats repeat titles (an
HTML page's <title> is often its <h1>; a PDF chapter bookmark and its first
section can share a name): `breadcrumb` drops the repeats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tuirag.types import HEADING_SEPARATOR as SEPARATOR

_MIN_OVERLAP = 5  # shorter titles are not merged on containment ("R" in "R Basics")


def squash(title: str) -> str:
    """A title without case, spaces or punctuation: for comparing titles loosely."""
    return re.sub(r"\W+", "", title).casefold()


def _same(a: str, b: str, root: bool) -> bool:
    """Equal titles; a root title (a page's <title>) also matches a heading it ends with."""
    ka, kb = squash(a), squash(b)
    if ka == kb:
        return True
    short, long = sorted((ka, kb), key=len)
    return root and len(short) >= _MIN_OVERLAP and long.endswith(short)


def breadcrumb(titles: Iterable[str]) -> str:
    """Titles joined outermost first; a title that repeats its parent replaces it.

    "Acme Docs: Backups" (the page title) followed by "Backups" (its <h1>) is one
    title, "Backups"; containment merges only at the root, so "Wireless Setup >
    Setup" stays two.
    """
    path: list[str] = []
    for title in titles:
        title = " ".join(title.split())
        if not title:
            continue
        if path and _same(path[-1], title, root=len(path) == 1):
            path[-1] = title if len(title) <= len(path[-1]) else path[-1]
            continue
        path.append(title)
    return SEPARATOR.join(path)


def split_path(heading: str) -> list[str]:
    """A stored heading path as its titles."""
    return [part for part in heading.split(SEPARATOR) if part] if heading else []


def short_path(heading: str, width: int) -> str:
    """The path within `width` characters: the innermost title wins, outer ones shrink.

    "Appendix K. PostgreSQL Limits > K.1 Limits table" at 25 → "… > K.1 Limits table"
    """
    parts = split_path(heading)
    if not parts or len(heading) <= width:
        return heading
    last = parts[-1]
    if len(last) >= width:
        return last[: max(1, width - 1)] + "…"
    kept = [last]
    room = width - len(last)
    for part in reversed(parts[:-1]):
        need = len(part) + len(SEPARATOR)
        if need <= room:
            kept.insert(0, part)
            room -= need
        else:
            if room >= len(SEPARATOR) + 2:
                kept.insert(0, "…")
            break
    return SEPARATOR.join(kept)
