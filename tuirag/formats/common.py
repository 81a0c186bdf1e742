"""Helpers the built-in format plugins share: decoding text files, tables as sections."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from tuirag.formats.encoding import read_decoded
from tuirag.types import Section


def read_text(path: Path) -> str:
    """A text file's text in whatever encoding it was saved (see tuirag.formats.encoding)."""
    return read_decoded(path).text


Row = tuple[int | None, int | None, Sequence[str]]  # first line, last line, cells
MAX_CELL_CHARS = 300  # a giant cell would push its whole row past the model's limit
DEFAULT_MAX_ROWS = 200_000


def md_row(cells: Sequence[str]) -> str:
    """One Markdown table line; pipes escaped, line breaks flattened."""
    clean = []
    for cell in cells:
        text = " ".join(str(cell).split()).replace("|", "\\|")
        if len(text) > MAX_CELL_CHARS:
            text = text[: MAX_CELL_CHARS - 1] + "…"
        clean.append(text)
    return "| " + " | ".join(clean) + " |"


def md_header(cells: Sequence[str], title: str = "") -> str:
    """The header every chunk of a table repeats: optional title, header row, rule."""
    rule = "| " + " | ".join("---" for _ in cells) + " |"
    lines = [title] if title else []
    return "\n".join([*lines, md_row(cells), rule])


def table_sections(
    rows: Iterable[Row],
    heading: str = "",
    title: str = "",
    max_rows: int = DEFAULT_MAX_ROWS,
    page: int | None = None,
) -> Iterator[Section]:
    """(first line, last line, cells) rows to sections; the first non-empty row is the header."""
    header = ""
    width = 0
    emitted = 0
    dropped = 0
    for first, last, cells in rows:
        cells = _trim(cells)
        if not cells:
            continue
        if not header:
            width = len(cells)
            header = md_header(cells, title)
            continue
        if emitted >= max_rows:
            dropped += 1
            continue
        cells = list(cells) + [""] * (width - len(cells))
        emitted += 1
        yield Section(
            text=md_row(cells),
            kind="table",
            page=page,
            start_line=first,
            heading=heading,
            header=header,
            split=False,
            meta={"end_line": last},
        )
    if header and not emitted:  # a header with no rows is still worth finding
        yield Section(text=header, kind="table", page=page, heading=heading, split=False)
    if dropped:
        where = f" of {heading}" if heading else ""
        yield Section(
            text=f"(The table{where} has {dropped} more rows that were not indexed: "
            f"the limit is {max_rows} rows, set by plugins.tables.max_rows.)",
            kind="prose",
            page=page,
            heading=heading,
        )


def _trim(cells: Sequence[str]) -> list[str]:
    out = list(cells)
    while out and not str(out[-1]).strip():
        out.pop()
    return out
