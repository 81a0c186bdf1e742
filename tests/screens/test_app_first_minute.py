"""The first minute: a question typed on the first frame, while the index is still opening
or being built for the first time, waits for it and is answered from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_helpers import SlowServices, ask_on_first_frame, screen_text, wait_until
from tests.helpers import write
from tests.ollama_server import OllamaServer
from tuirag.app import make_app
from tuirag.services import Services
from tuirag.widgets.turn import TurnView

pytestmark = pytest.mark.timeout(120)

EMPTY = ("index is empty", "Nothing is searchable", "do not seem to contain")


@pytest.fixture
def folder(docs: Path) -> Path:
    write(docs / "install.md", "# Installing\n\nRun `make frobnicate`, then copy frob.conf.\n")
    write(docs / "garden.md", "# Tomatoes\n\nWater tomatoes every morning in July.\n")
    write(docs / "trains.md", "# Night trains\n\nThe Vienna night train leaves at 19:30.\n")
    return docs


@pytest.mark.parametrize("indexed_before", [False, True], ids=["first-run", "indexed"])
async def test_a_question_on_the_first_frame_waits_for_the_index_and_is_answered(
    settings, embedder, folder: Path, ollama_server: OllamaServer, indexed_before: bool
) -> None:
    settings.index.folders = [str(folder)]
    services = SlowServices(settings, embedder=embedder)
    if indexed_before:
        Services(settings, embedder=embedder).indexer().sync([folder])
    ollama_server.reply = "Run make frobnicate [1]."
    app = make_app(settings, services)
    seen: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        # typed before the app took the terminal, Enter arrives as ^J
        view = await ask_on_first_frame(pilot, "install frobnicator?", "ctrl+j")
        await pilot.pause(0.1)
        assert not app.index_ready.is_set()
        assert "opening the index…" in screen_text(app)
        services.open()

        def answered() -> bool:
            seen.append(screen_text(app))
            return bool(view.turn.timings or view.turn.error)

        await wait_until(pilot, answered, timeout=60, what="the answer")
        assert view.turn.error == ""
        assert view.turn.answer == "Run make frobnicate [1]."
        assert Path(view.turn.sources[0].path).name == "install.md"
        assert len([c for c in ollama_server.chats() if c["messages"]]) == 1  # not the warm-up
    assert not any(words in shown for shown in seen for words in EMPTY)


async def tabs_to(pilot, selector: str, limit: int = 10) -> int:
    """Tabs from the question box until `selector` has focus."""
    app = pilot.app
    app.screen.query_one("#question").focus()
    await pilot.pause()
    target = app.screen.query_one(selector)
    for n in range(1, limit + 1):
        await pilot.press("tab")
        if app.focused is target:
            return n
    raise AssertionError(f"{selector} not reached in {limit} Tabs")


async def test_tabs_to_the_sources_do_not_grow_with_answers(
    settings, embedder, folder: Path, ollama_server: OllamaServer
) -> None:
    from tests.app_helpers import indexed_services

    settings.answer.history_turns = 0
    ollama_server.reply = "Water them every morning [1]."
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.screen
        counts = []
        for n in range(3):
            chat.query_one("#question").focus()
            view = await ask_on_first_frame(pilot, f"tomatoes {n}?")
            await wait_until(pilot, lambda v=view: v.turn.timings, what="the answer")
            counts.append(await tabs_to(pilot, "#sources"))
        assert counts == [2, 2, 2]
        # the conversation's arrows pick an answer, and its sources follow
        chat.query_one("#conversation").focus()
        await pilot.press("up", "up")
        assert chat.selected is chat.query(TurnView).first()


async def test_first_run_buttons_are_one_tab_away(
    settings, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(settings, Services(settings, embedder=embedder))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.query("#index-cwd"), what="the welcome")
        assert await tabs_to(pilot, "#index-cwd") == 1
