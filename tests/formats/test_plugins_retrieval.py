"""Questions a user asks about tables, code and PDFs find the right chunk in the top 3."""

from __future__ import annotations

import pytest

from tests.plugin_files import (
    PAGE_HTML,
    PYTHON_SOURCE,
    deck_pptx,
    mail_eml,
    manual_pdf,
    prices_xlsx,
    report_docx,
)
from tuirag.config import Settings
from tuirag.services import Services


@pytest.fixture(scope="module")
def indexed(embedder, tmp_path_factory: pytest.TempPathFactory) -> Services:
    """One index of every format, shared by the questions below."""
    root = tmp_path_factory.mktemp("formats")
    settings = Settings()
    settings.index.data_dir = str(root / "data")
    services = Services(settings, embedder=embedder)
    docs = root / "docs"
    (docs / "src").mkdir(parents=True)
    manual_pdf(docs / "manual.pdf", pages=5)
    prices_xlsx(docs / "prices.xlsx")
    (docs / "src" / "config.py").write_text(PYTHON_SOURCE)
    (docs / "src" / "util.go").write_text(
        "package util\n\n// Retry calls f until it succeeds.\nfunc Retry(f func() error) error {\n"
        "\tfor f() != nil {\n\t}\n\treturn nil\n}\n"
    )
    report_docx(docs / "install.docx")
    deck_pptx(docs / "deck.pptx")
    mail_eml(docs / "budget.eml")
    (docs / "guide.html").write_text(PAGE_HTML)
    (docs / "notes.md").write_text("# Notes\n\nThe office plants need water every Tuesday.\n")
    report = services.indexer([docs]).sync([docs])
    assert not report.failed, report.failed
    assert report.count("indexed") == 9
    return services


def _top(services, query: str):
    return services.retriever.search(query, 3, "hybrid").hits


def test_table_cell_question(indexed) -> None:
    hits = _top(indexed, "what is the price of X2")
    hit = next(h for h in hits if "| X2 |" in h.text)
    assert hit.path.endswith("prices.xlsx")
    assert "| X2 | $25.49 |" in hit.text and "| Item | Price | Discount | Released |" in hit.text
    assert hit.locator.startswith("Prices!rows ")


def test_function_name_question(indexed) -> None:
    hits = _top(indexed, "where is parse_config defined")
    hit = next(h for h in hits if h.path.endswith("config.py") and h.heading == "parse_config")
    assert (hit.start_line, hit.end_line) == (8, 12)
    assert hit.text.startswith("# python · def parse_config")


def test_pdf_page_question(indexed) -> None:
    hits = _top(indexed, "how do I pair the mesh satellites")
    hit = next(h for h in hits if h.path.endswith("manual.pdf"))
    assert hit.page == 3 and "holding WPS for five seconds" in hit.text
    assert hit.locator == "p. 3"


def test_pdf_table_and_office_questions(indexed) -> None:
    hit = next(h for h in _top(indexed, "price of the R300 router") if h.path.endswith(".pdf"))
    assert hit.page == 2 and "| R300 | $1,299.00 | 24 |" in hit.text
    hit = next(h for h in _top(indexed, "what is the Q3 budget") if h.path.endswith("budget.eml"))
    assert "42,000 EUR" in hit.text
    hit = next(h for h in _top(indexed, "install on Debian with apt") if h.path.endswith(".docx"))
    assert hit.heading == "Install > Linux"
