"""Where a PDF's sections start: its outline (bookmarks), or else its fonts.

PDFs do not say "this line is a heading". Most manuals carry an outline whose
entries point at a page and a height on it: the first line at or below that
height (refined by finding the entry's title among the next lines) starts the
section. Where there is no outline, a line set larger than the body text (or
bold at body size, short, without a closing period) is taken as a heading; its
level follows from its size among the heading sizes of the document.

Pages of dot leaders and page numbers (a table of contents, a back-of-book
index) point at the text rather than holding it, and outrank it for exact names
(every name appears there too): they are recognised here and left out.
"""

from __future__ import annotations

import ctypes
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tuirag.formats.headings import squash

_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|cmbx|-bd\b", re.IGNORECASE)
_NUMBERING = re.compile(
    r"^\s*((chapter|appendix|part|section)\s+)?([0-9ivxlcA-Z]+[.:)]?)(\.\d+)*\.?\s+"
)
_LEADER = re.compile(r"(\.\s?){4,}\s*[0-9ivxlc]+\s*$|\s{2,}[0-9ivxlc]+\s*$")
_PAGE_REFS = re.compile(r"[\s.,]\d{1,4}(,\s*\d{1,4})*\s*$")
_MAX_HEADING_CHARS = 120
_MIN_HEADING_GROWTH = 1.12  # a heading's font is at least this much larger than the body's


@dataclass(frozen=True, slots=True)
class Line:
    """One text line of a page, with the font of its first character."""

    text: str
    top: float | None = None  # PDF points from the page bottom; None when unknown
    size: float = 0.0
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Mark:
    """A heading that starts a section at `line` of a page."""

    line: int
    level: int
    title: str


def page_lines(page: Any) -> list[Line]:
    """The page's lines with the position and font of each line's first character."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        aligned = len(text) == pdfium_c.FPDFText_CountChars(textpage.raw)
        lines = []
        pos = 0
        for raw in text.split("\n"):
            line = raw.rstrip("\r")
            first = next((pos + k for k, ch in enumerate(line) if not ch.isspace()), None)
            clean = line.replace("\ufffe", "")  # PDFium's mark for a hyphenation point
            if aligned and first is not None:
                lines.append(Line(clean, *_char_font(textpage.raw, first)))
            else:
                lines.append(Line(clean))
            pos += len(raw) + 1
        return lines
    finally:
        textpage.close()


def _char_font(textpage: Any, index: int) -> tuple[float, float, bool]:
    import pypdfium2.raw as pdfium_c

    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    pdfium_c.FPDFText_GetCharBox(
        textpage,
        index,
        ctypes.byref(left),
        ctypes.byref(right),
        ctypes.byref(bottom),
        ctypes.byref(top),
    )
    size = float(pdfium_c.FPDFText_GetFontSize(textpage, index))
    weight = int(pdfium_c.FPDFText_GetFontWeight(textpage, index))
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage, index, name, len(name), ctypes.byref(flags))
    font = name.value.decode("latin-1", "replace")
    return top.value, round(size, 1), weight >= 600 or bool(_BOLD_NAME.search(font))


# ---- outline ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bookmark:
    level: int
    title: str
    page: int  # 0-based
    top: float | None


def outline(doc: Any) -> list[Bookmark]:
    """The document's bookmarks that point at a page, in document order."""
    marks = []
    try:
        for item in doc.get_toc(max_depth=8):
            dest = item.get_dest()
            title = " ".join((item.get_title() or "").split())
            if dest is None or not title:
                continue
            index = dest.get_index()
            if index is None or index < 0:
                continue
            _mode, view = dest.get_view()
            top = float(view[1]) if len(view) > 1 and view[1] else None
            marks.append(Bookmark(item.level, title, index, top))
    except Exception:  # a damaged outline is no reason to lose the text
        return []
    return sorted(marks, key=lambda b: (b.page, -(b.top if b.top is not None else 1e9)))


def _unnumbered(text: str) -> str:
    return _NUMBERING.sub("", text, count=1)


def find_title(
    lines: Sequence[Line], start: int, title: str, window: int = 4
) -> tuple[int, str] | None:
    """(index, text) of the line that shows `title`, searching a few lines from `start`.

    The line may add numbering ("7.10 How do I…") and the title may wrap onto
    the next line; the text returned is what the page shows.
    """
    want = squash(_unnumbered(title))
    if not want:
        return None
    for j in range(start, min(len(lines), start + window)):
        got = squash(_unnumbered(lines[j].text))
        if not got:
            continue
        if got == want or (len(want) >= 12 and got.endswith(want)):
            return j, " ".join(lines[j].text.split())
        if j + 1 < len(lines) and len(got) >= 6 and want.startswith(got):
            both = lines[j].text.strip() + " " + lines[j + 1].text.strip()
            if squash(_unnumbered(both)).startswith(want):
                return j, " ".join(both.split())
    return None


def outline_marks(lines: Sequence[Line], bookmarks: Sequence[Bookmark]) -> list[Mark]:
    """Section starts on one page from the bookmarks that point at it."""
    marks: list[Mark] = []
    cursor = 0
    for mark in bookmarks:
        at = cursor
        if mark.top is not None:
            limit = mark.top + 1
            at = next(
                (j for j in range(cursor, len(lines)) if (lines[j].top or 1e9) <= limit),
                cursor,
            )
        found = find_title(lines, at, mark.title) or find_title(lines, cursor, mark.title, 60)
        title = mark.title
        if found is not None:
            at, shown = found
            title = shown if len(shown) <= _MAX_HEADING_CHARS else mark.title
        marks.append(Mark(at, mark.level, title))
        cursor = at
    return marks


# ---- fonts ----------------------------------------------------------------------


def body_size(pages: Sequence[Sequence[Line]]) -> float:
    """The font size most of the text is set in."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            if line.size:
                sizes[line.size] += len(line.text.strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _looks_like_heading(line: Line, body: float) -> bool:
    text = line.text.strip()
    if not (2 <= len(text) <= _MAX_HEADING_CHARS) or not re.search(r"[^\W\d_]", text):
        return False
    if text.endswith((",", ";")) or _LEADER.search(text):
        return False
    if line.size >= body * _MIN_HEADING_GROWTH:
        return True
    return line.bold and line.size >= body * 0.95 and len(text) <= 80 and not text.endswith(".")


def font_marks(pages: Sequence[Sequence[Line]]) -> list[list[Mark]]:
    """Section starts per page from font size and weight, for PDFs without an outline."""
    body = body_size(pages)
    if not body:
        return [[] for _ in pages]
    found = [
        [j for j, line in enumerate(lines) if _looks_like_heading(line, body)] for lines in pages
    ]
    big = sorted(
        {
            pages[p][j].size
            for p, js in enumerate(found)
            for j in js
            if pages[p][j].size >= body * _MIN_HEADING_GROWTH
        },
        reverse=True,
    )[:3]
    out: list[list[Mark]] = []
    for p, js in enumerate(found):
        marks: list[Mark] = []
        for j in js:
            line = pages[p][j]
            level = next((i for i, s in enumerate(big) if line.size >= s), len(big))
            text = " ".join(line.text.split())
            prev = marks[-1] if marks else None
            if prev is not None and prev.line == j - 1 and prev.level == level:
                marks[-1] = Mark(prev.line, level, f"{prev.title} {text}")  # a wrapped heading
            else:
                marks.append(Mark(j, level, text))
        out.append(marks)
    return out


# ---- contents and index pages -------------------------------------------------------


def is_pointer_page(lines: Sequence[Line], after_pointer: bool = False) -> bool:
    """A table of contents or index page: most lines end in dot leaders or page numbers.

    `after_pointer`: the page before was one, so a short last page of an index
    (a few entries) counts too.
    """
    texts = [ln.text.strip() for ln in lines if ln.text.strip()]
    if not texts:
        return False
    leaders = sum(1 for t in texts if _LEADER.search(t))
    refs = sum(1 for t in texts if len(t) <= 80 and _PAGE_REFS.search(t))
    if after_pointer and leaders and leaders + refs >= 0.4 * len(texts):
        return True
    if len(texts) < 6:
        return False
    return leaders >= 0.4 * len(texts) or (leaders >= 3 and leaders + refs >= 0.6 * len(texts))
