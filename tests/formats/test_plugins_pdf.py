"""PDF plugin on real generated PDFs: pages, tables, running headers, bad PDFs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.plugin_files import HEADER, manual_pdf, scanned_pdf
from tuirag.backends.embedder import bundled_tokenizer
from tuirag.formats.pdf import PdfPlugin, running_mask
from tuirag.ingest.chunker import Chunker
from tuirag.ingest.parse import ParseFailed, parse_file


def _chunks(path: Path):
    return list(Chunker(bundled_tokenizer(), 256, 20).chunk(parse_file(PdfPlugin(), path)))


def test_text_per_page_with_page_numbers(tmp_path: Path) -> None:
    chunks = _chunks(manual_pdf(tmp_path / "manual.pdf"))
    by_page = {c.page: c.text for c in chunks if c.kind == "prose"}
    assert "unpacking the router" in by_page[1]
    assert "pair satellites by holding WPS" in by_page[3]
    assert "unpacking" not in by_page[3] and "satellites" not in by_page[1]
    # PDFium keeps the spaces between words (pypdf drops them on some files)
    assert "Chapter three covers the mesh setup" in by_page[3]


def test_table_rows_are_markdown_under_their_header(tmp_path: Path) -> None:
    chunks = _chunks(manual_pdf(tmp_path / "manual.pdf"))
    tables = [c for c in chunks if c.kind == "table"]
    assert len(tables) == 1
    table = tables[0]
    assert table.page == 2
    lines = table.text.split("\n")
    assert lines[0] == "| Model | Price | Ports |"
    assert "| R200 | $149.50 | 8 |" in lines and "| R300 | $1,299.00 | 24 |" in lines
    # the prose around the table stays on its page, without the table's cells
    page2 = [c.text for c in chunks if c.page == 2 and c.kind == "prose"]
    assert any("compares the models" in t for t in page2)
    assert any("Prices include VAT." in t for t in page2)
    assert not any("$149.50" in t for t in page2)


def test_running_header_and_footer_kept_once(tmp_path: Path) -> None:
    chunks = _chunks(manual_pdf(tmp_path / "manual.pdf", pages=6))
    text = "\n".join(c.text for c in chunks)
    assert text.count(HEADER) == 1
    assert text.count("of the manual") == 1
    assert all(f"Chapter {n} explains the" in text for n in range(4, 7))


def test_running_lines_go_and_body_lines_that_differ_stay() -> None:
    pages = [
        ["Report 2024", f"Section {n} body text unique {n * 'x'}", f"Page {n}"] for n in range(1, 5)
    ]
    # the first page keeps its header and page number; later pages lose both, never the body
    assert running_mask(pages) == [[True, True, True]] + [[False, True, False]] * 3


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: manual_pdf(p, password="s3cret"), "encrypted PDF"),
        (
            lambda p: p.write_bytes(manual_pdf(p).read_bytes()[:700]) and p,
            "damaged or unreadable PDF",
        ),
        (lambda p: p.write_text("just some text, not a PDF") and p, "not a PDF"),
        (scanned_pdf, "no text layer"),
    ],
    ids=["encrypted", "truncated", "mislabeled", "scanned"],
)
def test_bad_pdfs_give_one_clear_reason(tmp_path: Path, make, reason: str) -> None:
    path = tmp_path / "bad.pdf"
    make(path)
    with pytest.raises(ParseFailed) as err:
        parse_file(PdfPlugin(), path)
    assert reason in str(err.value)
    assert "\n" not in str(err.value)


def test_owner_password_only_pdf_opens_with_the_empty_password(tmp_path: Path) -> None:
    path = manual_pdf(tmp_path / "restricted.pdf", password="")
    assert any("unpacking the router" in s.text for s in parse_file(PdfPlugin(), path))


def test_hi_res_without_the_layout_extra_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "unstructured.partition.pdf", None)  # as on a default install
    with pytest.raises(ParseFailed, match=r"tuirag\[layout\]"):
        parse_file(PdfPlugin({"strategy": "hi_res"}), manual_pdf(tmp_path / "m.pdf"))


REAL_PDFS = [
    Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),  # a Debian-packaged TeX manual
    Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"),
]


@pytest.mark.parametrize("path", REAL_PDFS, ids=lambda p: p.name)
def test_real_pdfs_keep_word_spaces_on_every_page(path: Path) -> None:
    """FAILURE-MODES 14a: extraction that drops spaces glues words into long runs."""
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    import pypdfium2 as pdfium

    sections = parse_file(PdfPlugin(), path)
    doc = pdfium.PdfDocument(str(path))
    pages = len(doc)
    missing = set(range(1, pages + 1)) - _blank_pages(path) - {s.page for s in sections}
    # only contents and index pages (dot leaders to page numbers) are left out
    for number in missing:
        text = doc[number - 1].get_textpage().get_text_range()
        assert len(re.findall(r"(\. ?){4,}\s*\d+", text)) >= 3, f"page {number} lost"
    words = re.findall(r"[A-Za-z]+", " ".join(s.text for s in sections))
    glued = [w for w in words if len(w) >= 30]
    assert len(words) > 200 * pages / 10 and glued == []


def _blank_pages(path: Path) -> set[int]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    return {i + 1 for i, page in enumerate(doc) if not page.get_textpage().get_text_range().strip()}


def test_scanned_pages_in_a_text_pdf_are_reported(tmp_path: Path, capsys) -> None:
    """Pages that are only an image are named, loudly, while the rest is indexed."""
    from fpdf import FPDF
    from PIL import Image

    from tuirag.cli.main import main

    scan = tmp_path / "scan.png"
    Image.new("RGB", (300, 400), (200, 200, 200)).save(scan)
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for page in range(1, 4):
        pdf.add_page()
        if page == 2:
            pdf.image(str(scan), x=10, y=10, w=180)
        else:
            pdf.multi_cell(0, 6, f"Typed page {page} about the warranty terms.")
    docs = tmp_path / "docs"
    docs.mkdir()
    pdf.output(str(docs / "mixed.pdf"))
    sections = parse_file(PdfPlugin(), docs / "mixed.pdf")
    assert [s.page for s in sections] == [1, 3]
    warning = "page 2 has no text layer (scanned?); run OCR (e.g. `ocrmypdf`) to include them"
    assert sections[0].warning == warning
    assert main(["ingest", str(docs)]) == 0
    assert f"warning: {docs / 'mixed.pdf'}: {warning}" in capsys.readouterr().out
    assert main(["status"]) == 0
    assert f"warning: {docs / 'mixed.pdf'}: {warning}" in capsys.readouterr().out
