"""The preview opens at the cited lines (text files) or the cited chunk (HTML, PDF, …)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_helpers import indexed_services, screen_text, wait_until
from tests.helpers import write
from tuirag.app import make_app
from tuirag.screens.preview import PreviewScreen
from tuirag.types import Hit

pytestmark = pytest.mark.timeout(120)


async def open_preview(app, pilot, hit: Hit) -> str:
    app.push_screen(PreviewScreen(hit, hit.path))
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, PreviewScreen) and app.screen.query(".-match"),
        what="the preview",
    )
    await pilot.pause(0.3)
    return screen_text(app)


async def test_a_text_preview_opens_at_the_cited_lines(settings, embedder, docs: Path) -> None:
    lines = "".join(f"line number {n} of the file\n" for n in range(1, 401))
    path = write(docs / "long.txt", lines)
    hit = Hit(str(path), "…", 1.0, "x", start_line=305, end_line=315)
    app = make_app(settings, indexed_services(settings, embedder, docs))
    async with app.run_test(size=(80, 24)) as pilot:
        shown = await open_preview(app, pilot, hit)
    assert "line number 305 of the file" in shown
    assert "line number 315 of the file" in shown
    assert "line number 245 of the file" not in shown


async def test_an_html_preview_opens_at_the_cited_chunk(settings, embedder, docs: Path) -> None:
    sections = "".join(
        f"<h2>Section {n}</h2><p>{f'Paragraph {n} says something about topic {n}. ' * 12}</p>"
        for n in range(1, 40)
    )
    write(docs / "page.html", f"<html><body>{sections}</body></html>")
    services = indexed_services(settings, embedder, docs)
    chunks = services.store.chunk_neighbours(str(docs / "page.html"))
    assert len(chunks) > 10
    cited = chunks[-3]
    app = make_app(settings, services)
    async with app.run_test(size=(80, 24)) as pilot:
        shown = await open_preview(app, pilot, cited)
    first_words = " ".join(cited.text.split()[:4])
    assert first_words in " ".join(shown.split())
