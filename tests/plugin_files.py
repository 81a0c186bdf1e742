"""Real files of each format, generated for the plugin tests and the formats bench."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from pathlib import Path

BODY = {
    1: "Chapter one explains unpacking the router and checking the parts list.",
    2: "Chapter two compares the models; the price table below lists each one.",
    3: "Chapter three covers the mesh setup: pair satellites by holding WPS for five seconds.",
}
HEADER = "ACME Router Manual - Confidential"
WORDS = [
    "antenna",
    "bridge",
    "channel",
    "dongle",
    "ethernet",
    "firmware",
    "gateway",
    "hotspot",
    "interface",
    "jumbo",
]


def filler(n: int) -> str:
    """Distinct text for page n (same-shaped lines would look like a running header)."""
    picks = [WORDS[(n * k) % len(WORDS)] for k in (1, 3, 7)]
    return f"Chapter {n} explains the {picks[0]} and the {picks[1]} settings of page {n}, " + (
        f"then the {picks[2]} options. " * 6
    )


PRICES = [
    ("Model", "Price", "Ports"), ("R100", "$99.00", "4"), ("R200", "$149.50", "8"),
    ("R300", "$1,299.00", "24"),
]  # fmt: skip


def manual_pdf(path: Path, pages: int = 3, password: str | None = None) -> Path:
    """A manual with a running header and footer on every page and a ruled table on page 2."""
    from fpdf import FPDF

    class Manual(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, HEADER, new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Page {self.page_no()} of the manual")

    pdf = Manual()
    pdf.set_font("Helvetica", size=11)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, BODY.get(n, filler(n)))
        if n == 2:
            with pdf.table() as table:
                for values in PRICES:
                    row = table.row()
                    for value in values:
                        row.cell(value)
            pdf.multi_cell(0, 6, "Prices include VAT.")
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.output(str(path))
    return path


def scanned_pdf(path: Path) -> Path:
    """A PDF with only drawings on its pages: no text layer, like a scan."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


def prices_xlsx(path: Path, rows: int = 60) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Prices"
    sheet.append(["Item", "Price", "Discount", "Released"])
    for i in range(1, rows + 1):
        sheet.append([f"X{i}", 12.5 * i + 0.49, 0.125, dt.datetime(2024, 1, i % 28 + 1)])
        sheet.cell(i + 1, 2).number_format = '"$"#,##0.00'
        sheet.cell(i + 1, 3).number_format = "0.0%"
    notes = book.create_sheet("Notes")
    notes.append(["Topic", "Text"])
    notes.append(["Warranty", "Two years on all models"])
    book.save(path)
    return path


def prices_xls(path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Legacy")
    money = xlwt.easyxf(num_format_str="#,##0.00")
    for c, title in enumerate(["Item", "Price"]):
        sheet.write(0, c, title)
    sheet.write(1, 0, "Z9")
    sheet.write(1, 1, 1234.5, money)
    book.save(str(path))
    return path


def report_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Install", 1)
    document.add_paragraph("Run the installer as an administrator.")
    document.add_heading("Linux", 2)
    document.add_paragraph("Use the apt repository for Debian and Ubuntu.")
    table = document.add_table(rows=2, cols=2)
    for (r, c), value in {
        (0, 0): "Package",
        (0, 1): "Size",
        (1, 0): "tuirag-cli",
        (1, 1): "12 MB",
    }.items():
        table.cell(r, c).text = value
    document.add_heading("Usage", 1)
    document.add_paragraph("Open a terminal and ask a question.")
    document.save(str(path))
    return path


def deck_pptx(path: Path) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for title, text in [
        ("Roadmap", "Ship version two in March."),
        ("Risks", "Supply chain delays in Q2."),
    ]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = text
    deck.save(str(path))
    return path


def mail_eml(path: Path) -> Path:
    message = EmailMessage()
    message["Subject"] = "Quarterly budget"
    message["From"] = "alice@example.com"
    message["To"] = "bob@example.com"
    message["Date"] = "Mon, 1 Jan 2024 10:00:00 +0000"
    message.set_content("Hi Bob,\n\nThe budget for Q3 is 42,000 EUR.\n\nAlice")
    message.add_alternative(
        "<p>Hi Bob,</p><p>The budget for Q3 is <b>42,000 EUR</b>.</p>", subtype="html"
    )
    path.write_bytes(bytes(message))
    return path


PAGE_HTML = """<!doctype html><html><head><title>Guide</title><style>p{color:red}</style>
<script>var tracking = 1;</script></head><body>
<nav>Home | About</nav>
<h1>Setup</h1><p>Install the <b>server</b> first.</p>
<h2>Ports</h2><p>Set the port to 8080.</p>
<table><tr><th>Key</th><th>Value</th></tr><tr><td>port</td><td>8080</td></tr></table>
<h1>Usage</h1><ul><li>Start it</li><li>Ask questions</li></ul>
</body></html>"""

PAGE_RST = """Guide
=====

Intro paragraph.

Install
-------

Run pip install tuirag.

Linux
~~~~~

Use apt on Debian.

Usage
-----

Call it from a terminal.
"""

PYTHON_SOURCE = '''"""Config helpers."""

import tomllib

DEFAULTS = {"port": 8080}


# Read the config file and merge defaults.
def parse_config(path):
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return {**DEFAULTS, **data}


class Server:
    """Serves requests."""

    def start(self, port):
        self.port = port
        return f"listening on {port}"

    def stop(self):
        self.port = None
'''


def prices_ods(path: Path) -> Path:
    """A minimal OpenDocument spreadsheet, as LibreOffice writes it (display text in text:p)."""
    import zipfile

    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )

    def cell(text: str, value: str = "") -> str:
        kind = f'office:value-type="float" office:value="{value}"' if value else ""
        return f"<table:table-cell {kind}><text:p>{text}</text:p></table:table-cell>"

    rows = [
        cell("Item") + cell("Price"),
        cell("W1") + cell("€1.234,50", "1234.5"),
        '<table:table-cell table:number-columns-repeated="3"/>',  # an empty row
        cell("W2") + '<table:table-cell table:number-columns-repeated="2"/>' + cell("note"),
    ]
    body = "".join(f"<table:table-row>{r}</table:table-row>" for r in rows)
    filler = '<table:table-row table:number-rows-repeated="1048570"><table:table-cell/>'
    body += filler + "</table:table-row>"
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body>'
        f'<office:spreadsheet><table:table table:name="Stock">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    return path
