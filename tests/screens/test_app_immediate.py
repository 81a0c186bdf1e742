"""Every screen driven from its first frame, before the index is open (a slowed open), as an
impatient user would: keys are pressed at once, never after waiting for the app to be ready."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests.app_helpers import SlowServices, ask_on_first_frame, screen_text, wait_until
from tests.helpers import write
from tests.ollama_server import OllamaServer
from tuirag.app import make_app
from tuirag.screens.chat import ChatScreen
from tuirag.screens.help import HelpScreen
from tuirag.screens.index import IndexScreen
from tuirag.screens.models import ModelsScreen
from tuirag.screens.preview import PreviewScreen
from tuirag.screens.sessions import SessionsScreen
from tuirag.sessions import Turn
from tuirag.types import Hit

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def slow(settings, embedder, docs: Path) -> SlowServices:
    """Three files in a configured folder, not indexed yet; the index opens when a test
    calls `slow.open()`, after its first keys."""
    write(docs / "install.md", "# Installing\n\nRun `make frobnicate`, then copy frob.conf.\n")
    write(docs / "garden.md", "# Tomatoes\n\nWater tomatoes every morning in July.\n")
    write(docs / "trains.md", "# Night trains\n\nThe Vienna night train leaves at 19:30.\n")
    settings.index.folders = [str(docs)]
    return SlowServices(settings, embedder=embedder)


async def test_index_screen_at_once_never_says_no_folders(settings, slow: SlowServices) -> None:
    app = make_app(settings, slow)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        assert isinstance(app.screen, IndexScreen)
        slow.open()
        folders = app.screen.query_one("#folders", DataTable)
        seen: list[str] = []

        def counted() -> bool:
            seen.append(screen_text(app))
            return bool(folders.row_count) and str(folders.get_row_at(0)[1]) == "3"

        await wait_until(pilot, counted, timeout=60, what="3 files counted")
    assert not any("No folders yet" in shown for shown in seen)


async def test_models_screen_at_once_lists_the_models(
    settings, slow: SlowServices, ollama_server: OllamaServer
) -> None:
    app = make_app(settings, slow)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        assert isinstance(app.screen, ModelsScreen)
        slow.open()
        await wait_until(pilot, lambda: "qwen2.5:7b" in screen_text(app), what="the model list")


async def test_sessions_screen_search_typed_at_once(settings, slow: SlowServices) -> None:
    app = make_app(settings, slow)
    for question in ("budget 2024", "holiday rota"):
        session = app.sessions.new()
        session.turns.append(Turn(question, "An answer [1].", [Hit("/d/b.md", "x", 0.5, "c")]))
        app.sessions.save(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", "slash", *"rota")
        assert isinstance(app.screen, SessionsScreen)
        slow.open()
        table = app.screen.query_one("#session-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the search")
        assert "holiday rota" in screen_text(app)
        assert "No session mentions" not in screen_text(app)


async def test_help_and_palette_at_once(settings, slow: SlowServices) -> None:
    app = make_app(settings, slow)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "ctrl+p", *"index")
        slow.open()
        await wait_until(
            pilot,
            lambda: type(app.screen).__name__ == "CommandPalette" and "key: f3" in screen_text(app),
            what="the palette",
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, IndexScreen), what="the index")


async def test_chat_question_and_preview_at_once_then_resize_mid_answer(
    settings, slow: SlowServices, ollama_server: OllamaServer, docs: Path
) -> None:
    ollama_server.reply = " ".join(["Run make frobnicate, then copy frob.conf [1]."] * 12)
    ollama_server.token_delay = 0.03
    app = make_app(settings, slow)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await ask_on_first_frame(pilot, "install frobnicator?")
        slow.open()
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        await wait_until(pilot, lambda: "frobnicate" in view.turn.answer, timeout=60)
        assert chat.generating
        await pilot.resize_terminal(80, 24)  # mid-answer, to the smallest supported size
        await wait_until(pilot, lambda: not chat.generating, what="the answer to finish")
        assert view.turn.error == "" and view.turn.answer == ollama_server.reply
        shown = screen_text(app)
        assert "[1] docs/install.md" in shown  # the sources panel still there
        assert "Ask about your files" in shown  # and the question box
        await pilot.press("shift+tab", "enter")  # Shift+Tab from the question: the sources
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PreviewScreen) and app.screen.query(".-match"),
            what="the preview",
        )
        assert "Run `make frobnicate`" in screen_text(app)


async def test_resumed_session_answers_a_follow_up_typed_at_once(
    settings, slow: SlowServices, ollama_server: OllamaServer, docs: Path
) -> None:
    ollama_server.reply = "Every morning [1]."
    app = make_app(settings, slow)
    session = app.sessions.new()
    session.turns.append(
        Turn("gardening", "Tomatoes [1].", [Hit(str(docs / "garden.md"), "x", 0.5, "c")])
    )
    app.sessions.save(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", "enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ChatScreen) and "Tomatoes [1]." in screen_text(app),
        )
        view = await ask_on_first_frame(pilot, "when to water tomatoes?")
        slow.open()
        await wait_until(pilot, lambda: view.turn.timings or view.turn.error, timeout=60)
        assert view.turn.answer == "Every morning [1]." and view.turn.error == ""
        assert Path(view.turn.sources[0].path).name == "garden.md"


async def test_palette_search_typed_at_once_finds_and_opens_a_passage(
    settings, slow: SlowServices, docs: Path
) -> None:
    write(
        docs / "[b]odd[/b].md", "# Odd\n\nThe [bold]frobnicator[/] manual, [link=x]here[/link].\n"
    )
    app = make_app(settings, slow)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p", *"frobnicator manual")
        slow.open()
        await wait_until(
            pilot,
            lambda: "search: docs/" in screen_text(app),
            timeout=60,
            what="passages in the palette",
        )
        shown = screen_text(app)
        assert "[bold]frobnicator[/] manual" in shown  # document text is not markup
        first = re.search(r"search: (docs/\S+)", shown)
        assert first is not None
        await pilot.press("enter")  # the first passage
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PreviewScreen) and app.screen.query(".-match"),
            what="the preview",
        )
        assert f"{first.group(1)}  L1-" in screen_text(app)  # its title, at the cited lines
