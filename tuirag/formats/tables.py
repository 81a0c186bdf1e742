"""Spreadsheets and delimited text: CSV, TSV, XLSX, XLS, ODS.

Each data row becomes one `Section` of kind "table" carrying the sheet's header
row; the core chunker packs consecutive whole rows under that header up to its
token budget, so every chunk repeats the header, names the sheet and never cuts
a row. Row numbers are the sheet's own (CSV: the file's line numbers), so a
citation reads `Prices!rows 2-40`. Cells keep their displayed formatting: CSV
text as written, Excel numbers through their number format, ODS cells as the
app displayed them.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tuirag.formats.common import DEFAULT_MAX_ROWS, Row, table_sections
from tuirag.formats.encoding import read_decoded, with_note
from tuirag.plugins.base import FormatPlugin, PluginError
from tuirag.types import Section

_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+([eE][-+]?\d+)?%?")


class TablesPlugin(FormatPlugin):
    """CSV/TSV as written; XLSX (openpyxl) and XLS (xlrd) with Excel's number formats."""

    name = "tables"
    extensions = (".csv", ".tsv", ".tab", ".xlsx", ".xlsm", ".xls", ".ods")
    priority = 20
    version = "2"  # 2: `#` comment blocks, header detection, any encoding

    def load(self, path: Path) -> Iterable[Section]:
        max_rows = int(self.options.get("max_rows", DEFAULT_MAX_ROWS))
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            return self._workbook(_xlsx_sheets(path), max_rows)
        if suffix == ".ods":
            return self._workbook(_ods_sheets(path), max_rows)
        if suffix == ".xls":
            return self._workbook(_xls_sheets(path), max_rows)
        return _delimited(path, max_rows)

    @staticmethod
    def _workbook(sheets: Iterator[tuple[str, Iterator[Row]]], max_rows: int) -> Iterator[Section]:
        for name, rows in sheets:
            yield from table_sections(rows, heading=name, title=f"Sheet {name}", max_rows=max_rows)


# ---- CSV / TSV --------------------------------------------------------------


def _delimited(path: Path, max_rows: int) -> Iterator[Section]:
    """A CSV/TSV file: its leading `#` comment block as prose, then its rows.

    Files such as tzdata's `.tab` tables start with `#` comment lines, and the last
    one often names the columns ("#code<TAB>name"): that line becomes the header, the
    first comment line the table's title. A file whose first row is data (csv.Sniffer
    sees no header and the row holds numbers) gets numbered column names instead.
    """
    decoded = read_decoded(path)
    lines = decoded.text.splitlines(keepends=True)
    lead = 0
    while lead < len(lines) and (not lines[lead].strip() or lines[lead].lstrip().startswith("#")):
        lead += 1
    comments = [ln.strip().lstrip("#").strip() for ln in lines[:lead]]
    commented = any(ln.strip() for ln in lines[:lead])
    body = [(n, ln) for n, ln in enumerate(lines, 1) if n > lead]
    if commented:  # the same convention holds further down (tzdata ends with "#@" lines)
        body = [(n, ln) for n, ln in body if not ln.lstrip().startswith("#")]
    sample = "".join(ln for _, ln in body[:200])
    delimiter = _delimiter(path, sample)
    rows = list(_rows(body, delimiter))
    width = max((len(cells) for _, _, cells in rows[:50]), default=0)
    header: list[str] | None = None
    named = [c.strip() for c in comments if c.strip()]
    if named and len(named[-1].split(delimiter)) == width >= 2:
        header = [c.strip() for c in named[-1].split(delimiter)]
    elif rows and not _has_header(sample, rows[0][2]):
        header = [f"column {i}" for i in range(1, width + 1)]
    sections: list[Section] = []
    if commented:
        text = "\n".join(ln.rstrip("\n") for ln in lines[:lead]).strip()
        sections.append(Section(text=text, kind="prose", start_line=1))
    title = named[0] if named and len(named[0]) <= 100 and header is not None else ""
    table = [(None, None, header)] if header else []
    sections += table_sections([*table, *rows], title=title, max_rows=max_rows)
    return with_note(sections, decoded.note)


def _delimiter(path: Path, sample: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _rows(body: list[tuple[int, str]], delimiter: str) -> Iterator[Row]:
    """Parsed records with the file's line numbers; quoted fields may span lines."""
    numbers = [n for n, _ in body]
    reader = csv.reader((ln for _, ln in body), delimiter=delimiter)
    first = 0
    try:
        for cells in reader:
            last = reader.line_num - 1
            yield numbers[first], numbers[min(last, len(numbers) - 1)], cells
            first = reader.line_num
    except csv.Error as exc:
        raise PluginError(
            f"malformed CSV at line {numbers[min(first, len(numbers) - 1)]}: {exc}"
        ) from None


def _has_header(sample: str, first: Sequence[str]) -> bool:
    """False only when csv.Sniffer finds no header and the first row holds a number.

    Sniffer alone says "no header" for any file of free-text columns; a header row
    of pure numbers is rare, so both must agree.
    """
    if not any(_NUMBER.fullmatch(cell.strip()) for cell in first):
        return True
    try:
        return csv.Sniffer().has_header(sample)
    except csv.Error:
        return True


# ---- Excel -------------------------------------------------------------------


def _xlsx_sheets(path: Path) -> Iterator[tuple[str, Iterator[Row]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise PluginError(f"not a readable XLSX workbook ({exc})") from None
    try:
        for sheet in book.worksheets:
            yield sheet.title, _xlsx_rows(sheet)
    finally:
        book.close()


def _xlsx_rows(sheet: Any) -> Iterator[Row]:
    for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
        cells = [format_cell(c.value, getattr(c, "number_format", "General")) for c in row]
        yield number, number, cells


def _xls_sheets(path: Path) -> Iterator[tuple[str, Iterator[Row]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        raise PluginError(f"not a readable XLS workbook ({exc})") from None
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            yield sheet.name, _xls_rows(book, sheet)
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _xls_rows(book: Any, sheet: Any) -> Iterator[Row]:
    import xlrd

    for r in range(sheet.nrows):
        cells = []
        for c in range(sheet.ncols):
            cell = sheet.cell(r, c)
            fmt = book.format_map[book.xf_list[cell.xf_index].format_key].format_str
            value: Any = cell.value
            if cell.ctype == xlrd.XL_CELL_DATE:
                value = xlrd.xldate_as_datetime(cell.value, book.datemode)
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(cell.value)
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                value = None
            cells.append(format_cell(value, fmt))
        yield r + 1, r + 1, cells


_ODS = {
    "table": "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}",
    "text": "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}",
}


def _ods_sheets(path: Path) -> Iterator[tuple[str, Iterator[Row]]]:
    """OpenDocument sheets, streamed from content.xml; cells as the app displayed them."""
    import zipfile

    from lxml import etree

    try:
        archive = zipfile.ZipFile(path)
        content = archive.open("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise PluginError(f"not a readable ODS spreadsheet ({exc})") from None
    table, text = _ODS["table"], _ODS["text"]
    with archive, content:
        events = etree.iterparse(content, events=("start", "end"), tag=f"{table}table")
        for event, sheet in events:
            if event == "start":
                name = sheet.get(f"{table}name", "")
                continue
            rows = list(_ods_rows(sheet, table, text))
            sheet.clear()
            yield name, iter(rows)


def _ods_rows(sheet: Any, table: str, text: str) -> Iterator[Row]:
    number = 0
    for row in sheet.iter(f"{table}table-row"):
        repeat = int(row.get(f"{table}number-rows-repeated", "1"))
        cells: list[str] = []
        empty = 0  # empty cells are added only when a later cell has text
        for cell in row.iterchildren(f"{table}table-cell", f"{table}covered-table-cell"):
            value = "\n".join("".join(p.itertext()) for p in cell.iter(f"{text}p"))
            count = int(cell.get(f"{table}number-columns-repeated", "1"))
            if not value.strip():
                empty += count
                continue
            cells += [""] * empty + [value] * min(count, 1000)
            empty = 0
        if cells:
            for n in range(number + 1, number + 1 + min(repeat, 1000)):
                yield n, n, cells
        number += repeat


_QUOTED = re.compile(r'"([^"]*)"')
_LOCALE_CURRENCY = re.compile(r"\[\$([^\]-]*)(?:-[^\]]*)?\]")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_PLACEHOLDER = re.compile(r"[0#?][0#?,]*(?:\.[0#?]*)?(?:[eE][+-]0+)?")


def format_cell(value: Any, number_format: str | None) -> str:
    """A cell as Excel would show it, for the formats people actually use.

    Handles decimals, thousands separators, percent, currency and literal text
    around the number, scientific notation and dates; anything else falls back
    to the plain value.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if not isinstance(value, int | float):
        return str(value)
    fmt = (number_format or "General").split(";")[0]
    if fmt in ("General", "@", ""):
        return _plain(value)
    fmt = _LOCALE_CURRENCY.sub(lambda m: f'"{m.group(1)}"', fmt)
    fmt = _BRACKETS.sub("", fmt).replace("\\", "").replace("_)", "").replace("*", "")
    literal = _QUOTED.sub(lambda m: m.group(1).replace("0", "\0"), fmt)
    match = _PLACEHOLDER.search(literal)
    if not match:
        return _plain(value)
    pattern = match.group(0)
    prefix = literal[: match.start()].replace("\0", "0")
    suffix = literal[match.end() :].replace("\0", "0")
    number = float(value)
    if "%" in suffix:
        number *= 100
    mantissa = re.split(r"[eE]", pattern)[0]
    decimals = len(mantissa.split(".")[1].rstrip(",")) if "." in mantissa else 0
    if re.search(r"[eE]", pattern):
        body = f"{abs(number):.{decimals}E}"
    elif "," in mantissa.split(".")[0]:
        body = f"{abs(number):,.{decimals}f}"
    else:
        body = f"{abs(number):.{decimals}f}"
    sign = "-" if number < 0 and float(body.replace(",", "").replace("E", "e")) != 0 else ""
    return f"{sign}{prefix}{body}{suffix}".strip()


def _plain(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}" if isinstance(value, float) else str(value)
