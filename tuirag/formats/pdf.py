"""PDF: text per page with page numbers, tables as Markdown rows, no running headers.

Text comes from PDFium (pypdfium2): fast, and it keeps the spaces between words
where pypdf drops them on some real files. Pages that draw lines are also given
to pdfplumber's table finder; a table found there becomes Markdown rows under
its header row, and the page text around it comes from the same page regions.
A line repeated at the top or bottom of most pages (running header, footer,
page number) is kept once, on its first page, instead of in every chunk.

Layout-aware extraction (unstructured's hi_res: detectron/yolox models, OCR)
is optional: install `tuirag[layout]` and set `[plugins.pdf] strategy = "hi_res"`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from tuirag.formats.common import table_sections
from tuirag.formats.encoding import with_note
from tuirag.formats.headings import breadcrumb, squash
from tuirag.formats.pdf_structure import (
    Bookmark,
    Line,
    Mark,
    font_marks,
    is_pointer_page,
    outline,
    outline_marks,
    page_lines,
)
from tuirag.plugins.base import FormatPlugin, PluginError
from tuirag.types import Section

_IMAGE_OBJECT = 3  # FPDF_PAGEOBJ_IMAGE: a scanned page is one big image
_PATH_OBJECT = 2  # FPDF_PAGEOBJ_PATH: lines and boxes, which ruled tables are drawn with
_RULE_MIN_PT = 30  # a table rule or cell border is at least this long (points)
_EDGE_LINES = 2  # lines at each end of a page that may be a running header or footer
_RUNNING_MAX_CHARS = 80
# "Chapter 2: R Basics 8", "Appendix A References 41": a running head with its page number
_RUNNING_HEAD = re.compile(r"(chapter|appendix|part|kapitel|chapitre|capítulo)\s+\S+\W.*#$", re.I)
_PAGE_NUMBER = re.compile(r"\W*(#|[ivxlc]+)\W*", re.IGNORECASE)
_CAPTION = re.compile(r"(table|tab\.|tabelle|tableau|tabla|表)\s*[\dA-Z一二三四五六七八九十]", re.I)
_CAPTION_MAX_CHARS = 150
_TABLE_MARK = "\x00table:"  # stands in for a table in page text; never a running line


class PdfPlugin(FormatPlugin):
    name = "pdf"
    extensions = (".pdf",)
    priority = 20
    version = "2"  # 2: sections from the outline or fonts, contents/index pages left out

    def sniff(self, path: Path, head: bytes) -> bool:
        return b"%PDF-" in head[:1024]

    def load(self, path: Path) -> Iterable[Section]:
        with path.open("rb") as fh:
            head = fh.read(1024)
        if b"%PDF-" not in head:
            raise PluginError("not a PDF (no %PDF header): the file is mislabeled or damaged")
        if self.options.get("strategy", "fast") == "hi_res":
            return _hi_res(path)
        return self._fast(path)

    def _fast(self, path: Path) -> Iterator[Section]:
        import pypdfium2 as pdfium

        password = self.options.get("password") or None
        try:
            doc = pdfium.PdfDocument(str(path), password=password)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise PluginError(
                    "encrypted PDF: it needs a password (the empty one did not work); skipped"
                ) from None
            raise PluginError(f"damaged or unreadable PDF ({_pdfium_reason(exc)})") from None
        plumber = _Plumber(path)
        try:
            pages = [self._page(doc, i, plumber) for i in range(len(doc))]
            scanned = [
                i + 1
                for i, (lines, tables) in enumerate(pages)
                if not _has_text(lines) and not tables and _has_image(doc[i])
            ]
            bookmarks = outline(doc)
            title = _title(doc)
        finally:
            doc.close()
            plumber.close()
        if not any(_has_text(lines) or tables for lines, tables in pages):
            raise PluginError(
                f"no text layer: all {len(pages)} pages are images (a scan?); "
                "run OCR first (e.g. `ocrmypdf in.pdf out.pdf`)"
            )
        warning = (
            f"{_pages(scanned)} {'has' if len(scanned) == 1 else 'have'} no text layer "
            "(scanned?); run OCR (e.g. `ocrmypdf`) to include them"
            if scanned
            else ""
        )
        lines = [page_lines for page_lines, _ in pages]
        if bookmarks:
            by_page: dict[int, list[Bookmark]] = {}
            for mark in bookmarks:
                by_page.setdefault(mark.page, []).append(mark)
            marks = [outline_marks(ls, by_page.get(i, [])) for i, ls in enumerate(lines)]
        else:
            marks = font_marks(lines)
        keep = running_mask([[ln.text for ln in ls] for ls in lines])
        yield from with_note(_sections(pages, marks, keep, title or _first_line(lines)), warning)

    def _page(self, doc: Any, index: int, plumber: _Plumber) -> tuple[list[Line], list[Table]]:
        """One page's lines, with a marker line where each of its tables sits."""
        page = doc[index]
        try:
            lines = page_lines(page)
            drawn = self.options.get("tables", True) and _has_rules(page)
        finally:
            page.close()
        if drawn:
            blocks = plumber.blocks(index)
            if blocks:
                tables = [b for b in blocks if isinstance(b, list)]
                marked: list[Line] = []
                n = 0
                for block in blocks:
                    if isinstance(block, list):
                        marked.append(Line(f"{_TABLE_MARK}{n}"))
                        n += 1
                    else:
                        marked += _plumber_lines(block, lines)
                return marked, tables
        return lines, []


Table = list[list[str]]


def _has_text(lines: list[Line]) -> bool:
    return any(line.text.strip() for line in lines)


def _plumber_lines(text: str, pdfium_lines: list[Line]) -> list[Line]:
    """pdfplumber's text lines, with PDFium's font and position where the text matches."""
    known = {" ".join(ln.text.split()): ln for ln in pdfium_lines}
    out = []
    for raw in text.split("\n"):
        match = known.get(" ".join(raw.split()))
        out.append(replace(match, text=raw) if match else Line(raw))
    return out


def _title(doc: Any) -> str:
    try:
        title = str(doc.get_metadata_dict().get("Title", "") or "")
    except Exception:  # metadata is optional and sometimes malformed
        return ""
    title = " ".join(title.split())
    return title if 2 <= len(title) <= 120 else ""


def _first_line(pages: list[list[Line]]) -> str:
    """The first line of the document, as the title of what precedes the first heading."""
    for lines in pages:
        for line in lines:
            text = " ".join(line.text.split())
            if text:
                return text if len(text) <= 120 else ""
    return ""


def _has_rules(page: Any) -> bool:
    """Whether the page draws at least two long lines or boxes, as a ruled table does.

    Short strokes (TeX draws underscores and rules in formulas as paths) do not count,
    so text pages skip pdfplumber, which costs ~100 ms a page.
    """
    long = 0
    for obj in page.get_objects():
        if obj.type == _PATH_OBJECT:
            left, bottom, right, top = obj.get_bounds()
            long += max(right - left, top - bottom) >= _RULE_MIN_PT
            if long >= 2:
                return True
    return False


def _has_image(page: Any) -> bool:
    try:
        return any(obj.type == _IMAGE_OBJECT for obj in page.get_objects())
    finally:
        page.close()


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10])) + (" …" if len(numbers) > 10 else "")
    return f"page {shown}" if len(numbers) == 1 else f"pages {shown}"


def _pdfium_reason(exc: Exception) -> str:
    match = re.search(r"\(PDFium: ([^)]*)\)", str(exc))
    return match.group(1) if match else str(exc)


class _Plumber:
    """pdfplumber's table finder, opened only if some page draws lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pdf: Any = None

    def blocks(self, index: int) -> list[str | list[list[str]]]:
        """Text and tables (rows of cells) of one page in reading order, if it has a table."""
        if self._pdf is None:
            import pdfplumber

            self._pdf = pdfplumber.open(self.path)
        page = self._pdf.pages[index]
        tables = sorted(page.find_tables(), key=lambda t: t.bbox[1])
        if not tables:
            return []
        left, top, right, bottom = page.bbox
        blocks: list[str | list[list[str]]] = []
        for table in tables:
            if table.bbox[1] > top:
                blocks.append(page.crop((left, top, right, table.bbox[1])).extract_text())
            blocks.append([[cell or "" for cell in row] for row in table.extract()])
            top = max(top, table.bbox[3])
        if top < bottom:
            blocks.append(page.crop((left, top, right, bottom)).extract_text())
        return blocks

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()


def _sections(
    pages: list[tuple[list[Line], list[Table]]],
    marks: list[list[Mark]],
    keep: list[list[bool]],
    title: str,
) -> Iterator[Section]:
    """Prose cut at headings and page ends, tables as row sections, under their heading path.

    A page end cuts too, so every chunk cites the page it is on; the heading path
    still tells a section's continuation on the next page where it belongs.
    Contents and index pages are left out.
    """
    trail: list[tuple[int, str]] = [(-1, title)] if title else []
    prose: list[str] = []
    titles = 0  # how many of the prose lines are heading lines
    pointer = False
    last_table: tuple[list[str], str] = ([], "")  # header row and caption of the last table

    def flush(page: int, carry: bool = False) -> Iterator[Section]:
        """Emit the prose; with `carry`, a heading with nothing under it yet waits
        for its first subsection or the next page instead of becoming a chunk."""
        nonlocal titles
        body = "\n".join(prose).strip()
        if carry and body and titles >= sum(1 for ln in prose if ln.strip()):
            return
        prose.clear()
        titles = 0
        if body:
            heading = breadcrumb(t for _, t in trail)
            yield Section(text=body, kind="prose", page=page, heading=heading)

    for number, ((lines, tables), page_marks, page_keep) in enumerate(
        zip(pages, marks, keep, strict=True), start=1
    ):
        starts = {m.line: m for m in page_marks}
        heading_lines = _heading_lines(lines, page_marks)
        pointer = is_pointer_page(lines, after_pointer=pointer)
        for i, line in enumerate(lines):
            mark = starts.get(i)
            if mark is not None:
                yield from flush(number, carry=True)
                trail = [(lvl, t) for lvl, t in trail if lvl < mark.level]
                trail.append((mark.level, mark.title))
            if line.text.startswith(_TABLE_MARK):
                rows = tables[int(line.text[len(_TABLE_MARK) :])]
                caption = _caption(prose)
                if not caption and rows and rows[0] == last_table[0]:
                    caption = last_table[1]  # the same table, continued on this page
                last_table = (rows[0] if rows else [], caption)
                if titles >= sum(1 for ln in prose if ln.strip()):
                    prose.clear()  # only its heading: the table's heading path says it
                    titles = 0
                yield from flush(number)
                heading = breadcrumb(t for _, t in trail)
                yield from table_sections(
                    [(None, None, row) for row in rows], heading=heading, title=caption, page=number
                )
            elif not pointer and page_keep[i]:
                prose.append(line.text)
                titles += i in heading_lines and bool(line.text.strip())
        last = number == len(pages)
        yield from flush(number, carry=not last)


def _heading_lines(lines: list[Line], marks: list[Mark]) -> set[int]:
    """Indexes of the lines that show a heading (a wrapped title takes two)."""
    found = set()
    for mark in marks:
        found.add(mark.line)
        nxt = mark.line + 1
        if nxt < len(lines) and lines[nxt].text.strip():
            tail = squash(lines[nxt].text)
            if tail and len(tail) < len(squash(mark.title)) and squash(mark.title).endswith(tail):
                found.add(nxt)
    return found


def _caption(prose: list[str]) -> str:
    """The line just above a table when it names it ("Table 3: Prices by region")."""
    last = next((ln.strip() for ln in reversed(prose) if ln.strip()), "")
    return last if len(last) <= _CAPTION_MAX_CHARS and _CAPTION.match(last) else ""


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


def running_mask(pages: list[list[str]]) -> list[list[bool]]:
    """Per line, whether to keep it: lines repeated at the top/bottom of most pages go,
    except their first copy.

    A line counts as running when, with digits ignored ("Page 3" = "Page 7"), it is
    short and sits among the first or last two lines of at least 60% of 3+ pages, or
    of 3+ pages if it holds a number ("Chapter 2: R Basics 8"); a page number alone
    at the edge always goes.
    """
    keep = [[True] * len(lines) for lines in pages]
    if len(pages) < 3:
        return keep
    edges: list[set[str]] = []
    for lines in pages:
        filled = [ln for ln in lines if ln.strip()]
        ends = filled[:_EDGE_LINES] + filled[-_EDGE_LINES:]
        edges.append(
            {
                _key(ln)
                for ln in ends
                if len(ln.strip()) <= _RUNNING_MAX_CHARS and not ln.startswith(_TABLE_MARK)
            }
        )
    counts = Counter(key for keys in edges for key in keys)
    running = {
        key
        for key, n in counts.items()
        # a page number alone, a chapter's running head with its page number, or any
        # short line at the edge of most pages
        if _PAGE_NUMBER.fullmatch(key)
        or _RUNNING_HEAD.match(key)
        or (n >= 3 and "#" in key)
        or n >= max(3, 0.6 * len(pages))
    }
    seen: set[str] = set()
    for p, (lines, keys) in enumerate(zip(pages, edges, strict=True)):
        for i, line in enumerate(lines):
            key = _key(line)
            if key in running and key in keys:
                furniture = _PAGE_NUMBER.fullmatch(key) or _RUNNING_HEAD.match(key)
                keep[p][i] = key not in seen and not furniture
                seen.add(key)
    return keep


def _hi_res(path: Path) -> Iterator[Section]:
    """unstructured's layout models (tuirag[layout]): titles, tables, OCR for scans."""
    try:
        from unstructured.partition.pdf import partition_pdf
    except ImportError:
        raise PluginError(
            'plugins.pdf strategy = "hi_res" needs the layout extra: '
            "pip install 'tuirag[layout]' (large: torch and layout models)"
        ) from None
    elements = partition_pdf(filename=str(path), strategy="hi_res", infer_table_structure=True)
    heading = ""
    for element in elements:
        page = element.metadata.page_number
        html = getattr(element.metadata, "text_as_html", None)
        if element.category == "Table" and html:
            yield from table_sections(html_table_rows(html), heading=heading, page=page)
        elif element.category == "Title":
            heading = element.text.strip()
        elif element.text.strip():
            yield Section(text=element.text, kind="prose", page=page, heading=heading)


def html_table_rows(html: str) -> list[tuple[None, None, list[str]]]:
    """Rows of the first HTML table in `html` as cell texts."""
    from lxml import html as lxml_html

    root = lxml_html.fromstring(html)
    return [
        (None, None, [cell.text_content().strip() for cell in tr.xpath("./th|./td")])
        for tr in root.iter("tr")
    ]
