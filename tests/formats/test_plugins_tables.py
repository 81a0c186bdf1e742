"""Tables plugin: every chunk has the header and the sheet, rows whole, numbers as shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin_files import prices_ods, prices_xls, prices_xlsx
from tuirag.backends.embedder import bundled_tokenizer
from tuirag.formats.tables import TablesPlugin, format_cell
from tuirag.ingest.chunker import Chunker
from tuirag.ingest.parse import ParseFailed, parse_file
from tuirag.types import Hit


def _chunks(path: Path, plugin: TablesPlugin | None = None, max_tokens: int = 128):
    sections = parse_file(plugin or TablesPlugin(), path)
    return list(Chunker(bundled_tokenizer(), max_tokens, 20).chunk(sections))


def _locator(chunk) -> str:
    return Hit("p", chunk.text, 0, "id", kind=chunk.kind, start_line=chunk.start_line,
               end_line=chunk.end_line, heading=chunk.heading).locator  # fmt: skip


def test_xlsx_chunks_repeat_header_name_sheet_and_keep_rows_whole(tmp_path: Path) -> None:
    chunks = _chunks(prices_xlsx(tmp_path / "prices.xlsx"))
    prices = [c for c in chunks if c.heading == "Prices"]
    assert len(prices) > 3  # 60 rows do not fit one 128-token chunk
    seen = []
    for chunk in prices:
        lines = chunk.text.split("\n")
        assert lines[:2] == ["Sheet Prices", "| Item | Price | Discount | Released |"]
        rows = [ln for ln in lines[3:]]
        assert all(ln.startswith("| X") and ln.count("|") == 5 for ln in rows)  # whole rows
        first, last = int(rows[0].split()[1][1:]) + 1, int(rows[-1].split()[1][1:]) + 1
        assert (chunk.start_line, chunk.end_line) == (first, last)  # sheet row numbers
        seen += rows
    assert len(seen) == 60 and len(set(seen)) == 60  # every row exactly once
    x2 = next(c for c in prices if "| X2 |" in c.text)
    assert "| X2 | $25.49 | 12.5% | 2024-01-03 |" in x2.text
    assert _locator(x2) == f"Prices!rows {x2.start_line}-{x2.end_line}"
    notes = [c for c in chunks if c.heading == "Notes"]
    assert notes[0].text.split("\n")[-1] == "| Warranty | Two years on all models |"


def test_csv_keeps_text_as_written_and_uses_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "stock.csv"
    path.write_text(
        'sku;price;note\nA-1;1.234,50 €;"two\nlines"\nA-2;0,99 €;ok\n', encoding="utf-8"
    )
    (chunk,) = _chunks(path)
    assert chunk.text.split("\n") == [
        "| sku | price | note |", "| --- | --- | --- |",
        "| A-1 | 1.234,50 € | two lines |", "| A-2 | 0,99 € | ok |",
    ]  # fmt: skip
    assert (chunk.start_line, chunk.end_line) == (2, 4)  # A-1 spans lines 2-3
    assert _locator(chunk) == "rows 2-4"


def test_tsv_and_xls(tmp_path: Path) -> None:
    tsv = tmp_path / "a.tsv"
    tsv.write_text("name\tqty\nbolt\t1,000\n", encoding="utf-8")
    assert "| bolt | 1,000 |" in _chunks(tsv)[0].text
    (chunk,) = _chunks(prices_xls(tmp_path / "old.xls"))
    assert chunk.heading == "Legacy"
    assert chunk.text.split("\n")[-1] == "| Z9 | 1,234.50 |"


def test_ods_cells_as_displayed_with_sheet_rows(tmp_path: Path) -> None:
    (chunk,) = _chunks(prices_ods(tmp_path / "stock.ods"))
    assert chunk.heading == "Stock"
    assert chunk.text.split("\n") == [
        "Sheet Stock", "| Item | Price |", "| --- | --- |",
        "| W1 | €1.234,50 |", "| W2 |  |  | note |",
    ]  # fmt: skip
    assert (chunk.start_line, chunk.end_line) == (2, 4)


def test_row_cap_adds_a_note(tmp_path: Path) -> None:
    chunks = _chunks(prices_xlsx(tmp_path / "p.xlsx", rows=30), TablesPlugin({"max_rows": 10}))
    rows = [ln for c in chunks if c.kind == "table" and c.heading == "Prices"
            for ln in c.text.split("\n") if ln.startswith("| X")]  # fmt: skip
    assert len(rows) == 10
    assert any("20 more rows that were not indexed" in c.text for c in chunks)


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (1234.5, "#,##0.00", "1,234.50"),
        (0.256, "0.0%", "25.6%"),
        (-42, '"$"#,##0', "-$42"),
        (1234.5, "[$€-407]#,##0.00", "€1,234.50"),
        (3.0, "General", "3"),
        (12345.678, "0.00E+00", "1.23E+04"),
        (7, "0", "7"),
    ],
)
def test_number_formats(value, fmt, shown) -> None:
    assert format_cell(value, fmt) == shown


def test_non_utf8_is_decoded_and_broken_workbooks_are_reported(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,city\nJosé,Málaga\nFrançois,Besançon\n".encode("latin-1"))
    (section, *_rest) = parse_file(TablesPlugin(), latin)
    assert "| José | Málaga |" in section.text and section.header.startswith("| name | city |")
    assert section.warning.startswith("not UTF-8: read as")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(prices_xlsx(tmp_path / "ok.xlsx").read_bytes()[:500])
    with pytest.raises(ParseFailed, match="not a readable XLSX"):
        parse_file(TablesPlugin(), broken)


def test_chunker_packs_rows_evenly_and_never_mixes_tables() -> None:
    from tuirag.formats.common import table_sections

    def rows(n: int, width: int = 1):
        return [(i, i, [f"item{i}", "word " * width]) for i in range(1, n + 1)]

    chunker = Chunker(bundled_tokenizer(), 96, 10)
    sections = [*table_sections([(0, 0, ["a", "b"]), *rows(40)], heading="One"),
                *table_sections([(0, 0, ["c", "d"]), *rows(3)], heading="Two")]  # fmt: skip
    chunks = list(chunker.chunk(sections))
    one = [c for c in chunks if c.heading == "One"]
    sizes = [c.text.count("\n") - 1 for c in one]
    assert sum(sizes) == 40 and max(sizes) - min(sizes) <= 2  # no lone last row
    assert all(chunker.count(c.text) <= 96 - 2 for c in chunks)
    (two,) = [c for c in chunks if c.heading == "Two"]
    assert two.text.startswith("| c | d |") and (two.start_line, two.end_line) == (1, 3)


def test_a_row_too_big_for_a_chunk_is_split_with_the_header_repeated() -> None:
    from tuirag.formats.common import table_sections

    huge = " ".join(f"w{i}" for i in range(90))  # cells are capped at 300 characters
    sections = list(table_sections([(1, 1, ["k", "v"]), (2, 2, ["big", huge]), (3, 3, ["s", "1"])]))
    chunks = list(Chunker(bundled_tokenizer(), 64, 5).chunk(sections))
    assert len(chunks) >= 3
    assert all(c.text.startswith("| k | v |\n| --- | --- |") for c in chunks)
    assert chunks[-1].text.endswith("| s | 1 |")
