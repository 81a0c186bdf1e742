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
from tuirag.plugins.base import FormatPlugin, PluginError
from tuirag.types import Section

_IMAGE_OBJECT = 3  # FPDF_PAGEOBJ_IMAGE: a scanned page is one big image
_PATH_OBJECT = 2  # FPDF_PAGEOBJ_PATH: lines and boxes, which ruled tables are drawn with
_RULE_MIN_PT = 30  # a table rule or cell border is at least this long (points)
_EDGE_LINES = 2  # lines at each end of a page that may be a running header or footer
_RUNNING_MAX_CHARS = 80
_TABLE_MARK = "\x00table:"  # stands in for a table in page text; never a running line


class PdfPlugin(FormatPlugin):
    name = "pdf"
    extensions = (".pdf",)
    priority = 20
    version = "1"

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
                for i, (text, tables) in enumerate(pages)
                if not text.strip() and not tables and _has_image(doc[i])
            ]
        finally:
            doc.close()
            plumber.close()
        if not any(text.strip() or tables for text, tables in pages):
            raise PluginError(
                f"no text layer: all {len(pages)} pages are images (a scan?); "
                "run OCR first (e.g. `ocrmypdf in.pdf out.pdf`)"
            )
        texts = drop_running_lines([text for text, _ in pages])
        warning = (
            f"{_pages(scanned)} {'has' if len(scanned) == 1 else 'have'} no text layer "
            "(scanned?); run OCR (e.g. `ocrmypdf`) to include them"
            if scanned
            else ""
        )
        for number, (text, (_, tables)) in enumerate(zip(texts, pages, strict=True), start=1):
            for section in _page_sections(number, text, tables):
                yield replace(section, warning=warning) if warning else section
                warning = ""

    def _page(self, doc: Any, index: int, plumber: _Plumber) -> tuple[str, list[list[list[str]]]]:
        """One page's text, with a marker line where each of its tables sits."""
        page = doc[index]
        try:
            text = page.get_textpage().get_text_range().replace("\r\n", "\n")
            drawn = self.options.get("tables", True) and _has_rules(page)
        finally:
            page.close()
        if drawn:
            blocks = plumber.blocks(index)
            if blocks:
                tables = [b for b in blocks if isinstance(b, list)]
                parts, n = [], 0
                for block in blocks:
                    if isinstance(block, list):
                        parts.append(f"{_TABLE_MARK}{n}")
                        n += 1
                    else:
                        parts.append(block)
                return "\n".join(parts), tables
        return text, []


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


def _page_sections(number: int, text: str, tables: list[list[list[str]]]) -> Iterator[Section]:
    """Prose between the page's tables, and each table as row sections."""
    prose: list[str] = []

    def flush() -> Iterator[Section]:
        body = "\n".join(prose).strip()
        prose.clear()
        if body:
            yield Section(text=body, kind="prose", page=number)

    for line in text.split("\n"):
        if line.startswith(_TABLE_MARK):
            yield from flush()
            rows = tables[int(line[len(_TABLE_MARK) :])]
            yield from table_sections([(None, None, row) for row in rows], page=number)
        else:
            prose.append(line)
    yield from flush()


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


def drop_running_lines(pages: list[str]) -> list[str]:
    """Remove lines repeated at the top/bottom of most pages, keeping their first copy.

    A line counts as running when, with digits ignored ("Page 3" = "Page 7"), it is
    short and sits among the first or last two lines of at least 60% of 3+ pages.
    """
    if len(pages) < 3:
        return pages
    edges: list[set[str]] = []
    for text in pages:
        lines = [ln for ln in text.split("\n") if ln.strip()]
        ends = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
        edges.append(
            {
                _key(ln)
                for ln in ends
                if len(ln.strip()) <= _RUNNING_MAX_CHARS and not ln.startswith(_TABLE_MARK)
            }
        )
    counts = Counter(key for keys in edges for key in keys)
    running = {key for key, n in counts.items() if n >= max(3, 0.6 * len(pages))}
    if not running:
        return pages
    seen: set[str] = set()
    out = []
    for text, keys in zip(pages, edges, strict=True):
        lines = []
        for line in text.split("\n"):
            key = _key(line)
            if key in running and key in keys:
                if key in seen:
                    continue
                seen.add(key)
            lines.append(line)
        out.append("\n".join(lines))
    return out


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
