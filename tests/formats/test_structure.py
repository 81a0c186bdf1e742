"""Document structure kept at parse time: heading paths from PDF outlines and fonts,
contents pages left out, HTML without navigation, table captions, CSV comment blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuirag.backends.embedder import bundled_tokenizer
from tuirag.formats.documents import DocumentsPlugin
from tuirag.formats.headings import breadcrumb, short_path
from tuirag.formats.pdf import PdfPlugin
from tuirag.formats.tables import TablesPlugin
from tuirag.ingest.chunker import Chunker
from tuirag.ingest.parse import parse_file

REAL_HTML = Path(__file__).parents[1] / "fixtures" / "real_html"  # PostgreSQL 15 docs pages

CHAPTERS = {
    "1 Getting Started": {
        "1.1 Unpacking": "Lift the router out of the foam tray and keep the antenna caps.",
        "1.2 Power": "Plug the barrel connector in before the ethernet cable, never after.",
    },
    "2 Wireless Setup": {
        "2.1 Channels": "The 5 GHz band defaults to channel 36; choose 149 in crowded flats.",
        "2.2 Mesh Satellites": "Pair satellites by holding WPS for five seconds on each unit.",
    },
}


def _handbook(path: Path, outline: bool) -> Path:
    """A manual with a title page, a contents page of dot leaders, and two chapters.

    Headings are set larger and bold; with `outline`, each also gets a bookmark.
    """
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Router Handbook")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 20, "Router Handbook", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, "Contents", new_x="LMARGIN", new_y="NEXT")
    for n, (chapter, sections) in enumerate(CHAPTERS.items(), start=3):
        for title in [chapter, *sections]:
            pdf.cell(0, 6, f"{title} {'. ' * 30} {n}", new_x="LMARGIN", new_y="NEXT")
    filler = " ".join(f"Further note {i} on cabling and placement." for i in range(12))
    for chapter, sections in CHAPTERS.items():
        pdf.add_page()
        if outline:
            pdf.start_section(chapter, level=0)
        pdf.set_font("Helvetica", "B", 18)
        pdf.cell(0, 12, chapter, new_x="LMARGIN", new_y="NEXT")
        for title, body in sections.items():
            if outline:
                pdf.start_section(title, level=1)
            pdf.set_font("Helvetica", "B", 13)
            pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, 6, f"{body} {filler}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


@pytest.mark.parametrize("outline", [True, False], ids=["bookmarks", "fonts-only"])
def test_every_pdf_chunk_knows_its_heading_path(tmp_path: Path, outline: bool) -> None:
    path = _handbook(tmp_path / "handbook.pdf", outline)
    chunks = list(Chunker(bundled_tokenizer(), 128, 16).chunk(parse_file(PdfPlugin(), path)))
    assert chunks and all(c.heading for c in chunks)
    for chapter, sections in CHAPTERS.items():
        for title, body in sections.items():
            (chunk,) = [c for c in chunks if body in c.text]
            assert chunk.heading.split(" > ")[-2:] == [chapter, title]
            # a section starts at its heading (a chapter heading with no text of its own
            # leads into its first section instead of becoming a chunk alone)
            assert title in chunk.text.split("\n")[:3]
            others = [b for s in CHAPTERS.values() for b in s.values() if b != body]
            assert not any(b in chunk.text for b in others)  # never two sections in a chunk
    assert not any(c.text.strip() in CHAPTERS for c in chunks)
    # the contents page (dot leaders to page numbers) is not indexed
    assert not any(". . . ." in c.text for c in chunks)


def test_real_html_pages_index_no_navigation() -> None:
    """PostgreSQL's DocBook pages: Prev/Up/Next tables, a page TOC, captioned tables."""
    limits = parse_file(DocumentsPlugin(), REAL_HTML / "limits.html")
    text = "\n".join(s.text + s.header for s in limits)
    for chrome in ("Prev", "Next", "Home", "Part VIII. Appendixes", "J.5. Style Guide"):
        assert chrome not in text
    assert {s.heading for s in limits} == {"Appendix K. PostgreSQL Limits"}  # not repeated
    rows = [s for s in limits if s.kind == "table"]
    assert len(rows) == 15
    assert all(s.header.startswith("Table K.1. PostgreSQL Limitations\n| Item |") for s in rows)
    assert any("| identifier length | 63 bytes |" in s.text for s in rows)

    types = parse_file(DocumentsPlugin(), REAL_HTML / "indexes-types.html")
    assert not any(s.text.startswith("11.2.1. B-Tree") for s in types)  # the page's own TOC
    headings = {s.heading for s in types}
    assert "11.2. Index Types > 11.2.6. BRIN" in headings
    brin = next(s for s in types if s.heading.endswith("BRIN"))
    assert "Block Range INdexes" in brin.text
    chunks = list(Chunker(bundled_tokenizer(), 256, 32).chunk(types))
    assert all("Prev" not in c.text and "Chapter 11. Indexes" not in c.text for c in chunks)


SITE_PAGE = """<!doctype html><html><head><title>Acme Docs: Backups</title></head><body>
<header class="site-header"><a href="/">Acme Docs</a> <a href="/blog">Blog</a></header>
<nav><ul><li><a href="/a">Install</a></li><li><a href="/b">Backups</a></li></ul></nav>
<div role="navigation"><a href="/x">Previous</a> | <a href="/y">Up</a> | <a href="/z">Next</a></div>
<div class="sphinxsidebar"><h3>Quick search</h3><p>Search the docs for a word.</p></div>
<main><article>
  <h1>Backups</h1>
  <p>Snapshots run nightly at 02:00 and are kept for 35 days.</p>
  <h2>Restore</h2>
  <p>Table 3 lists the restore commands:</p>
  <table><caption>Restore commands</caption>
    <tr><th>Target</th><th>Command</th></tr>
    <tr><td>file</td><td>acme restore --file</td></tr>
    <tr><td>volume</td><td>acme restore --volume</td></tr>
  </table>
  <ul class="links"><li><a href="/1">See also one</a></li><li><a href="/2">two</a></li>
    <li><a href="/3">three</a></li></ul>
</article></main>
<aside><p>Sponsored: try Acme Cloud.</p></aside>
<footer><p>© 2026 Acme. All rights reserved.</p></footer>
</body></html>"""


def test_html_main_content_only_with_captioned_tables(tmp_path: Path) -> None:
    page = tmp_path / "backups.html"
    page.write_text(SITE_PAGE)
    sections = parse_file(DocumentsPlugin(), page)
    text = "\n".join(s.text + s.header for s in sections)
    assert "Snapshots run nightly" in text
    for chrome in ("Blog", "Install", "Previous", "Quick search", "Sponsored", "rights reserved"):
        assert chrome not in text
    (row, *_more) = [s for s in sections if s.kind == "table"]
    assert row.heading == "Backups > Restore"  # "Acme Docs: Backups" and its <h1> merged
    assert row.header.startswith("Restore commands\n| Target | Command |")


def test_breadcrumbs_drop_repeats_and_shorten_for_small_panels() -> None:
    assert breadcrumb(["20.4. Resource Consumption", "20.4. Resource Consumption", "Memory"]) == (
        "20.4. Resource Consumption > Memory"
    )
    assert breadcrumb(["PostgreSQL 15: 20.4. Resource Consumption", "20.4. Resource Consumption"])
    assert breadcrumb(["R", "R Basics"]) == "R > R Basics"  # short titles are not merged
    assert breadcrumb(["Router", "Wireless Setup", "Setup"]) == "Router > Wireless Setup > Setup"
    path = "R FAQ > 7 R Miscellanea > 7.10 How do I convert factors to numeric?"
    assert short_path(path, 80) == path
    short = short_path(path, 50)
    assert short.endswith("7.10 How do I convert factors to numeric?") and len(short) <= 50
    assert len(short_path(path, 20)) == 20


def test_tab_file_comment_block_and_commented_header(tmp_path: Path) -> None:
    """tzdata-style: `#` comments first, the last one naming the columns; more at the end."""
    tab = tmp_path / "zones.tab"
    tab.write_text(
        "# Time zone descriptions\n#\n# Columns are separated by a single tab.\n"
        "#codes\tcoordinates\tTZ\n"
        "AD\t+4230+00131\tEurope/Andorra\nAF\t+3431+06912\tAsia/Kabul\n#@CY\tAsia/\n"
    )
    sections = parse_file(TablesPlugin(), tab)
    prose, *rows = sections
    assert prose.kind == "prose" and "separated by a single tab" in prose.text
    assert [s.text for s in rows] == [
        "| AD | +4230+00131 | Europe/Andorra |",
        "| AF | +3431+06912 | Asia/Kabul |",
    ]
    assert rows[0].header.startswith("Time zone descriptions\n| codes | coordinates | TZ |")
    assert rows[0].start_line == 5


def test_csv_without_a_header_row_gets_numbered_columns(tmp_path: Path) -> None:
    data = tmp_path / "readings.csv"
    data.write_text("2026-01-01,12.5,ok\n2026-01-02,13.1,ok\n2026-01-03,11.9,late\n")
    rows = parse_file(TablesPlugin(), data)
    assert rows[0].text == "| 2026-01-01 | 12.5 | ok |"  # the first row is data
    assert rows[0].header.startswith("| column 1 | column 2 | column 3 |")
    named = tmp_path / "named.csv"
    named.write_text("city,country\nMálaga,Spain\nLyon,France\n")  # text only: header kept
    assert parse_file(TablesPlugin(), named)[0].header.startswith("| city | country |")


def test_pdf_table_keeps_its_caption_and_heading(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.start_section("3 Prices", level=0)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "3 Prices", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Table 2: Router prices by model", new_x="LMARGIN", new_y="NEXT")
    with pdf.table() as table:
        for values in [("Model", "Price"), *[(f"R{n}00", f"${n}9.00") for n in range(1, 40)]]:
            row = table.row()
            for value in values:
                row.cell(value)
    path = tmp_path / "prices.pdf"
    pdf.output(str(path))
    chunks = list(Chunker(bundled_tokenizer(), 64, 0).chunk(parse_file(PdfPlugin(), path)))
    tables = [c for c in chunks if c.kind == "table"]
    assert len(tables) > 1  # split, and every part says what it is
    for chunk in tables:
        assert chunk.text.startswith("Table 2: Router prices by model\n| Model | Price |")
        assert chunk.heading.endswith("3 Prices")
