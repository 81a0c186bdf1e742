#!/usr/bin/env python3
"""Format plugin throughput: pages/s, rows/s, files/s per format, parse and chunk only.

Files are made by the same generators the plugin tests use (tests/plugin_files.py),
scaled up. For each format: parse in-process (`parse_file`), parse through the
isolated child (`IsolatedParser`, started before timing, as in a long ingest), and
parse in the child plus chunking (the bundled tokenizer at 256 tokens). Text and
Markdown run in-process in tuirag (`isolate = False`); here they are forced through
the child too, to show what isolation would cost them. Best of
--rounds for each, so a burst from another process hurts neither side. Embedding
is not included: bench_ingest.py measures the whole pipeline.

    .venv/bin/python bench/bench_formats.py [--quick] [--rounds N] [--json PATH]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import common

sys.path.insert(0, str(common.REPO / "tests"))

import plugin_files as gen  # the tests' generators, importable after the path insert

from tuirag.backends.embedder import bundled_tokenizer
from tuirag.ingest.chunker import Chunker
from tuirag.ingest.parse import IsolatedParser, parse_file
from tuirag.plugins.registry import load_registry


@dataclass
class Case:
    name: str
    unit: str
    make: Callable[[Path, int], list[Path]]  # folder, scale -> files
    units: Callable[[list[Path], int], int]  # files, scale -> units of work


def _pdf(folder: Path, pages: int) -> list[Path]:
    return [gen.manual_pdf(folder / "manual.pdf", pages=pages)]


def _pdf_tables(folder: Path, pages: int) -> list[Path]:
    """Every page has a ruled table: the pdfplumber path on every page."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for n in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, gen.filler(n + 1))
        with pdf.table() as table:
            for r in range(12):
                row = table.row()
                for value in (f"R{n}-{r}", f"${r * 9.5:,.2f}", str(r * 3)):
                    row.cell(value)
    path = folder / "tables.pdf"
    pdf.output(str(path))
    return [path]


def _xlsx(folder: Path, rows: int) -> list[Path]:
    return [gen.prices_xlsx(folder / "prices.xlsx", rows=rows)]


def _xls(folder: Path, rows: int) -> list[Path]:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Legacy")
    money = xlwt.easyxf(num_format_str="#,##0.00")
    for c, title in enumerate(["Item", "Price", "Qty"]):
        sheet.write(0, c, title)
    for r in range(1, rows + 1):
        sheet.write(r, 0, f"Z{r}")
        sheet.write(r, 1, r * 1.5, money)
        sheet.write(r, 2, r)
    path = folder / "legacy.xls"
    book.save(str(path))
    return [path]


def _csv(folder: Path, rows: int) -> list[Path]:
    path = folder / "stock.csv"
    lines = ["sku,name,price,qty"]
    lines += [f"A-{i},widget {i},{i * 0.75:.2f},{i % 97}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return [path]


def _many(name: str, write: Callable[[Path], object]) -> Callable[[Path, int], list[Path]]:
    def make(folder: Path, count: int) -> list[Path]:
        paths = []
        for i in range(count):
            path = folder / f"{i}{name}"
            write(path)
            paths.append(path)
        return paths

    return make


def _files(paths: list[Path], scale: int) -> int:
    return len(paths)


def _scale(paths: list[Path], scale: int) -> int:
    return scale


REAL_PDF = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")  # a Debian TeX manual, if present


def _real_pdf(folder: Path, scale: int) -> list[Path]:
    return [REAL_PDF]


def _pages(paths: list[Path], scale: int) -> int:
    import pypdfium2 as pdfium

    return len(pdfium.PdfDocument(str(paths[0])))


CASES = [
    Case("pdf (text, 1 table page)", "pages", _pdf, _scale),
    Case("pdf (a table on every page)", "pages", _pdf_tables, _scale),
    *(
        [Case("pdf (real: libtasn1 manual)", "pages", _real_pdf, _pages)]
        if REAL_PDF.exists()
        else []
    ),
    Case("xlsx", "rows", _xlsx, _scale),
    Case("xls", "rows", _xls, _scale),
    Case("csv", "rows", _csv, _scale),
    Case("python", "files", _many(".py", lambda p: p.write_text(gen.PYTHON_SOURCE * 8)), _files),
    Case("docx", "files", _many(".docx", gen.report_docx), _files),
    Case("pptx", "files", _many(".pptx", gen.deck_pptx), _files),
    Case("html", "files", _many(".html", lambda p: p.write_text(gen.PAGE_HTML * 4)), _files),
    Case("eml", "files", _many(".eml", gen.mail_eml), _files),
    Case("rst", "files", _many(".rst", lambda p: p.write_text(gen.PAGE_RST * 4)), _files),
    Case(
        "markdown",
        "files",
        _many(".md", lambda p: p.write_text("# T\n\n" + gen.BODY[3] * 20)),
        _files,
    ),
    Case("text", "files", _many(".txt", lambda p: p.write_text(gen.BODY[1] * 40)), _files),
]
SCALE = {"pages": (100, 20), "rows": (20_000, 2_000), "files": (200, 40)}  # full, quick


def main() -> None:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    rounds = 1 if args.quick else args.rounds
    registry = load_registry()
    chunker = Chunker(bundled_tokenizer(), 256, 32)
    isolated = IsolatedParser(timeout_s=600, memory_mb=2048)
    rows, figures = [], []
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.pdf"
        gen.manual_pdf(warm, pages=1)
        with common.timer() as start:
            isolated(registry.for_path(warm), warm)  # child start-up, not timed below
        for case in CASES:
            folder = Path(tmp) / case.name.split()[0] / str(len(rows))
            folder.mkdir(parents=True)
            scale = SCALE[case.unit][1 if args.quick else 0]
            paths = case.make(folder, scale)
            units = case.units(paths, scale)
            plugins = [registry.for_path(path) for path in paths]
            for plugin in plugins:
                plugin.isolate = True  # type: ignore[misc]  (measure isolation for text too)
            work = list(zip(plugins, paths, strict=True))
            parse_file(*work[0])  # both sides import this plugin's parser before timing
            isolated(*work[0])

            def best(run: Callable[[], object]) -> float:
                times = []
                for _ in range(rounds):
                    with common.timer() as t:
                        run()
                    times.append(t[0])
                return min(times)

            local = best(lambda work=work: [parse_file(pl, pa) for pl, pa in work])
            child = best(lambda work=work: [isolated(pl, pa) for pl, pa in work])
            chunked = best(
                lambda work=work: [list(chunker.chunk(isolated(pl, pa))) for pl, pa in work]
            )
            chunks = sum(len(list(chunker.chunk(isolated(pl, pa)))) for pl, pa in work)
            row = [
                case.name, plugins[0].name, units, case.unit,
                units / local, units / child, units / chunked, chunks,
            ]  # fmt: skip
            rows.append(row)
            figures.append(dict(zip(COLUMNS, row, strict=True)))
            print(f"  {case.name}: done", file=sys.stderr)
    isolated.close()
    info = common.machine()
    print(f"\n{common.describe_machine(info)}; rounds {rounds}")
    print(f"parser child start-up (spawn + import tuirag + PDF parser): {start[0]:.2f} s")
    common.report("Format throughput (units/s; higher is better)", COLUMNS, rows)
    common.write_json(args.json, {"rounds": rounds, "child_start_s": start[0], "formats": figures})


COLUMNS = [
    "format", "plugin", "units", "unit", "in-process/s", "isolated/s", "isolated+chunk/s", "chunks",
]  # fmt: skip

if __name__ == "__main__":
    main()
