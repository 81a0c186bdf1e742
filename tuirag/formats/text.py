"""Plain text and Markdown, the formats the core handles itself."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from tuirag.formats.encoding import read_decoded, with_note
from tuirag.formats.headings import breadcrumb
from tuirag.plugins.base import FormatPlugin
from tuirag.types import Section


def looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a multi-byte char cut by the sample
    return True


class TextPlugin(FormatPlugin):
    """Any UTF-8 text file: by extension, or by sniffing files no other plugin claims."""

    name = "text"
    extensions = (
        ".txt",
        ".text",
        ".log",
        ".csv.txt",
        ".cfg",
        ".ini",
        ".conf",
        ".toml",
        ".yaml",
        ".yml",
        ".json",
        ".xml",
        ".tex",
        ".org",
        ".adoc",
    )
    priority = 0
    version = "2"  # 2: legacy encodings are read, not refused
    # in the parser child like every plugin: its memory limit then bounds a huge file
    isolate = True

    def sniff(self, path: Path, head: bytes) -> bool:
        return looks_like_text(head)

    def load(self, path: Path) -> Iterable[Section]:
        decoded = read_decoded(path)
        if decoded.text.strip():
            yield Section(text=decoded.text, kind="prose", start_line=1, warning=decoded.note)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class MarkdownPlugin(FormatPlugin):
    """Markdown split at headings; each section carries its heading path."""

    name = "markdown"
    extensions = (".md", ".markdown", ".mdx")
    priority = 10
    version = "2"  # 2: legacy encodings are read, not refused
    isolate = True

    def load(self, path: Path) -> Iterable[Section]:
        decoded = read_decoded(path)
        yield from with_note(split_markdown(decoded.text), decoded.note)


def split_markdown(text: str) -> Iterator[Section]:
    lines = text.split("\n")
    trail: list[tuple[int, str]] = []  # (level, title) of the open headings
    start, in_fence = 0, False

    def emit(end: int) -> Iterator[Section]:
        body = "\n".join(lines[start:end])
        content = lines[start + 1 : end] if _HEADING.match(lines[start]) else lines[start:end]
        if "".join(content).strip():
            heading = breadcrumb(title for _, title in trail)
            yield Section(text=body, kind="prose", start_line=start + 1, heading=heading)

    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else _HEADING.match(line)
        if match:
            yield from emit(i)
            level = len(match.group(1))
            trail = [(lvl, t) for lvl, t in trail if lvl < level] + [(level, match.group(2))]
            start = i
    yield from emit(len(lines))
