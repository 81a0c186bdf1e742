"""Documents plugin: HTML, DOCX, PPTX, EML, RST cut at headings with heading paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin_files import PAGE_HTML, PAGE_RST, deck_pptx, mail_eml, report_docx
from tuirag.formats.documents import DocumentsPlugin
from tuirag.ingest.parse import ParseFailed, parse_file


def _parse(path: Path):
    return [(s.heading, s.kind, s.text, s.page) for s in parse_file(DocumentsPlugin(), path)]


def test_html_headings_tables_and_no_scripts(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(PAGE_HTML)
    sections = _parse(path)
    assert sections[0][:3] == ("Guide > Setup", "prose", "Install the server first.")
    assert sections[1][:3] == ("Guide > Setup > Ports", "prose", "Set the port to 8080.")
    assert sections[2][:3] == ("Guide > Setup > Ports", "table", "| port | 8080 |")
    assert sections[3][:3] == ("Guide > Usage", "prose", "- Start it\n\n- Ask questions")
    everything = " ".join(s[2] for s in sections)
    assert "tracking" not in everything and "color:red" not in everything
    assert "Home | About" not in everything  # navigation is not content


def test_docx_heading_path_and_table(tmp_path: Path) -> None:
    sections = _parse(report_docx(tmp_path / "report.docx"))
    assert [(h, k) for h, k, _, _ in sections] == [
        ("Install", "prose"), ("Install > Linux", "prose"), ("Install > Linux", "table"),
        ("Usage", "prose"),
    ]  # fmt: skip
    table = parse_file(DocumentsPlugin(), tmp_path / "report.docx")[2]
    assert table.header.split("\n")[0] == "| Package | Size |"
    assert table.text == "| tuirag-cli | 12 MB |"


def test_pptx_slides_are_pages_titled_by_slide(tmp_path: Path) -> None:
    sections = _parse(deck_pptx(tmp_path / "deck.pptx"))
    assert sections == [
        ("Roadmap", "prose", "Ship version two in March.", 1),
        ("Risks", "prose", "Supply chain delays in Q2.", 2),
    ]


def test_eml_headers_and_plain_body(tmp_path: Path) -> None:
    sections = _parse(mail_eml(tmp_path / "mail.eml"))
    assert sections[0][0] == "Quarterly budget"
    assert "From: alice@example.com" in sections[0][2] and "To: bob@example.com" in sections[0][2]
    assert sections[1][2] == "Hi Bob,\n\nThe budget for Q3 is 42,000 EUR.\n\nAlice"


def test_rst_sections_by_adornment_level(tmp_path: Path) -> None:
    path = tmp_path / "guide.rst"
    path.write_text(PAGE_RST)
    sections = parse_file(DocumentsPlugin(), path)
    assert [(s.heading, s.start_line) for s in sections] == [
        ("Guide", 1), ("Guide > Install", 6), ("Guide > Install > Linux", 11),
        ("Guide > Usage", 16),
    ]  # fmt: skip
    assert "Use apt on Debian." in sections[2].text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
        ("cut.pptx", b"PK\x03\x04\x14\x00", "PPTX: the file is damaged"),
        ("note.eml", b"just text, no headers\n", "not an email message"),
    ],
)
def test_bad_documents_are_reported(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ParseFailed, match=reason):
        parse_file(DocumentsPlugin(), path)
