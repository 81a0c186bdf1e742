"""The chat screen driven with real keys: real index, real embedder, loopback Ollama."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.app_helpers import indexed_services, screen_text, wait_until
from tests.helpers import write
from tests.ollama_fixtures import requires_real_model
from tests.ollama_server import OllamaServer, small_model_path
from tuirag.app import make_app
from tuirag.screens.chat import ChatScreen
from tuirag.screens.preview import PreviewScreen
from tuirag.widgets.sources import SourcesList
from tuirag.widgets.turn import TurnView

pytestmark = pytest.mark.timeout(120)

INSTALL = """# Installing the frobnicator

Run `make frobnicate` in the checkout, then copy frob.conf to /etc.
The frobnicator needs libquux 2.3 or later.
"""


@pytest.fixture
def folder(docs: Path) -> Path:
    write(docs / "install.md", INSTALL)
    write(docs / "garden.md", "# Tomatoes\n\nWater tomatoes every morning in July.\n")
    return docs


def _chat(app) -> ChatScreen:
    assert isinstance(app.screen, ChatScreen)
    return app.screen


async def _ask(pilot, question: str) -> TurnView:
    chat = _chat(pilot.app)
    await pilot.press(*question, "enter")
    await wait_until(pilot, lambda: chat.query(TurnView), what="the question to appear")
    return list(chat.query(TurnView))[-1]


async def test_ask_streams_answer_with_sources_then_preview_and_editor(
    settings,
    embedder,
    folder: Path,
    ollama_server: OllamaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ollama_server.reply = "Run make frobnicate [1], then copy frob.conf to /etc [1]."
    ollama_server.token_delay = 0.05
    args_file = tmp_path / "editor-args"
    editor = write(
        tmp_path / "editor.py",
        f"import sys\nopen({str(args_file)!r}, 'w').write('\\n'.join(sys.argv[1:]))\n",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.focused is app.screen.query_one("#question")
        view = await _ask(pilot, "How do I install the frobnicator?")
        chat = _chat(app)
        # streamed: part of the answer is on screen while generation still runs
        await wait_until(pilot, lambda: view.turn.answer and chat.generating, what="streaming")
        await wait_until(pilot, lambda: not chat.generating, what="the answer to finish")
        shown = screen_text(app)
        assert "Run make frobnicate [1], then copy frob.conf" in shown.replace("\n", " ")
        assert "first token" in shown  # per-answer timing and the status line

        sources = chat.query_one("#sources", SourcesList)
        assert sources.hits[0].path == str(folder / "install.md")
        assert "[1] docs/install.md" in screen_text(app)

        sources.focus()
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PreviewScreen) and app.screen.query(".-match"),
            what="the preview",
        )
        preview = screen_text(app)
        assert "Run `make frobnicate` in the checkout" in preview

        await pilot.press("e")
        await wait_until(pilot, args_file.exists, what="the editor to run")
        assert args_file.read_text().splitlines() == ["+1", str(folder / "install.md")]
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)

    saved = app.sessions.find()
    assert len(saved) == 1 and saved[0].title == "How do I install the frobnicator?"


async def test_passages_kept_from_the_model_are_listed_after_the_sources(
    settings, embedder, folder: Path, ollama_server: OllamaServer
) -> None:
    """Like `tuirag ask`'s note: the gate's left-out passages are shown, dimmed, and open."""
    ollama_server.reply = "Run make frobnicate [1]."
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _ask(pilot, "How do I install the frobnicator?")
        chat = _chat(app)
        await wait_until(pilot, lambda: view.turn.answer and not chat.generating, what="answer")
        assert [Path(h.path).name for h in view.turn.left_out] == ["garden.md"]
        shown = screen_text(app)
        assert "Weak matches, not sent:" in shown
        assert "[2] docs/garden.md" in shown
        sources = chat.query_one("#sources", SourcesList)
        sources.focus()
        await pilot.press("down", "enter")  # past [1] and the note, onto the left-out one
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen), what="preview")
        assert "Water tomatoes every morning" in screen_text(app)
    sent = json.dumps(ollama_server.chats())
    assert "frobnicate" in sent and "tomatoes" not in sent.lower()  # shown, never sent
    saved = app.sessions.load(app.sessions.find()[0].id).turns[0]
    assert [Path(h.path).name for h in saved.left_out] == ["garden.md"]


async def test_escape_stops_generation_and_closes_the_request(
    settings, embedder, folder: Path, ollama_server: OllamaServer
) -> None:
    ollama_server.reply = " ".join(f"word{i}" for i in range(200)) + " [1]"
    ollama_server.token_delay = 0.05
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await _ask(pilot, "How do I install the frobnicator?")
        await wait_until(pilot, lambda: "word3" in view.turn.answer, what="the first tokens")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not _chat(app).generating, what="the worker to stop")
        assert ollama_server.disconnected.wait(5), "Ollama kept generating after Esc"
        assert view.turn.error == "stopped (partial answer)"
        assert "word199" not in view.turn.answer
        assert "stopped (partial answer)" in screen_text(app)


async def test_without_ollama_the_passages_still_show_with_the_fix(
    settings, embedder, folder: Path
) -> None:
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.status.ollama == "down", what="the Ollama check")
        view = await _ask(pilot, "How do I install the frobnicator?")
        await wait_until(pilot, lambda: view.turn.error, what="the failure")
        shown = screen_text(app)
        assert "ollama serve" in shown
        assert "docs/install.md" in shown  # the passage is still offered
        assert "ollama not running" in shown


async def test_regenerate_new_chat_copy_and_export(
    settings,
    embedder,
    folder: Path,
    ollama_server: OllamaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    replies = iter(["First answer [1].", "Second answer [1]."])
    ollama_server.reply = lambda body: next(replies)
    app = make_app(settings, indexed_services(settings, embedder, folder))
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        view = await _ask(pilot, "How do I install the frobnicator?")
        await wait_until(
            pilot, lambda: view.turn.answer.endswith("[1].") and not _chat(app).generating
        )
        await pilot.press("ctrl+r")
        await wait_until(
            pilot,
            lambda: view.turn.answer == "Second answer [1]." and not _chat(app).generating,
            what="the regenerated answer",
        )
        assert "First answer" not in screen_text(app)
        await pilot.press("ctrl+y")
        assert copied == ["Second answer [1]."]
        await pilot.press("ctrl+s")
        exported = tmp_path / "tuirag-how-do-i-install-the-frobnicator.md"
        await wait_until(pilot, exported.exists, what="the export")
        text = exported.read_text()
        assert "Second answer [^1]." in text
        assert f"[^1]: {folder / 'install.md'}, L1-4" in text
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not _chat(app).query(TurnView), what="a new chat")


async def test_document_markup_and_escapes_are_shown_literally(
    settings, embedder, docs: Path, ollama_server: OllamaServer
) -> None:
    write(
        docs / "[red]evil[-red].md",
        (
            "# Quarterly frobnicator report\n\n"
            "The frobnicator [bold]shipped[/] on time, see [link=https://evil.example]here[/link].\n"
            "Clear \x1b[2J screen and clipboard \x1b]52;c;ZXZpbA==\x07 done.\n"
        ),
    )
    ollama_server.reply = "It [bold]shipped[/] \x1b[2J on time [1]."
    app = make_app(settings, indexed_services(settings, embedder, docs))
    async with app.run_test(size=(120, 30)) as pilot:
        view = await _ask(pilot, "When did the frobnicator ship?")
        await wait_until(pilot, lambda: view.turn.timings, what="the answer")
        shown = screen_text(app)
        assert "It [bold]shipped[/] [2J on time [1]." in shown  # model text: ESC dropped
        assert "[1] docs/[red]evil[-red].md" in shown  # a path is not markup

        chat = _chat(app)
        chat.query_one("#sources").focus()
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PreviewScreen) and app.screen.query(".-match"),
            what="the preview",
        )
        preview = screen_text(app)
        assert "docs/[red]evil[-red].md  L1-4" in preview  # the preview's title
        assert "[bold]shipped[/] on time, see [link=https://evil.example]here[/link]." in preview
        assert "Clear [2J screen and clipboard ]52;c;ZXZpbA== done." in preview
        assert "\x1b" not in app.export_screenshot()


async def test_a_config_problem_shows_as_one_line_in_the_answer(
    settings, embedder, folder: Path
) -> None:
    settings.answer.user_template = "Answer this: {question}"
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await _ask(pilot, "How do I install the frobnicator?")
        await wait_until(pilot, lambda: view.turn.error and not _chat(app).generating)
        assert view.turn.error == "answer.user_template must contain {sources}"
        assert "answer.user_template must contain {sources}" in screen_text(app)
        await pilot.press(*"still typing")
        assert app.screen.query_one("#question").value == "still typing"


async def test_selecting_an_earlier_answer_shows_its_sources(
    settings, embedder, folder: Path, ollama_server: OllamaServer
) -> None:
    settings.answer.history_turns = 0  # two independent questions, two sets of sources
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(100, 30)) as pilot:
        chat = _chat(app)
        first = await _ask(pilot, "How do I install the frobnicator?")
        await wait_until(pilot, lambda: first.turn.timings, what="the first answer")
        second = await _ask(pilot, "When should I water the tomatoes?")
        await wait_until(pilot, lambda: second.turn.timings, what="the second answer")
        sources = chat.query_one("#sources", SourcesList)
        assert Path(sources.hits[0].path).name == "garden.md"
        await pilot.click(first)
        await wait_until(
            pilot,
            lambda: Path(sources.hits[0].path).name == "install.md",
            what="the first answer's sources",
        )
        assert first.has_class("-selected") and not second.has_class("-selected")


async def test_links_in_answers_are_shown_not_opened(
    settings, embedder, folder: Path, ollama_server: OllamaServer
) -> None:
    ollama_server.reply = "See [the site](https://evil.example/x) for more [1]."
    app = make_app(settings, indexed_services(settings, embedder, folder))
    opened: list[str] = []
    app.open_url = lambda url, **kw: opened.append(url)  # type: ignore[method-assign]
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        view = await _ask(pilot, "How do I install the frobnicator?")
        await wait_until(pilot, lambda: view.turn.timings, what="the answer")
        paragraph = view.markdown.query("MarkdownParagraph").first()
        await pilot.click(paragraph, offset=(6, 0))  # on "the site"
        await wait_until(pilot, lambda: notes, what="the link notice")
        assert opened == []
        assert notes == ["Link (not opened): https://evil.example/x"]


async def test_command_palette_runs_chat_actions(
    settings, embedder, folder: Path, ollama_server: OllamaServer
) -> None:
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(100, 30)) as pilot:
        view = await _ask(pilot, "How do I install the frobnicator?")
        await wait_until(pilot, lambda: view.turn.timings, what="the answer")
        await pilot.press("ctrl+p", *"new chat")
        await wait_until(
            pilot,
            lambda: type(app.screen).__name__ == "CommandPalette" and "key: ^n" in screen_text(app),
            what="the palette",
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: not _chat(app).query(TurnView), what="a new chat")


async def test_a_question_asked_while_the_model_loads_says_so_then_shows_the_load_time(
    settings, embedder, folder: Path, ollama_server: OllamaServer
) -> None:
    """The app warms the model up at start; a slow load is shown, not a frozen screen."""
    ollama_server.load_delay = 8.0  # a 7B model from a slow disk
    ollama_server.reply = "Run make frobnicate [1]."
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.status.loading, what="the warm-up")
        assert "ollama up · loading model…" in screen_text(app)
        view = await _ask(pilot, "How do I install the frobnicator?")
        await wait_until(
            pilot,
            lambda: "loading qwen2.5:7b-instruct-q4_K_M…" in screen_text(app),
            what="the question waiting for the load",
        )
        chat = _chat(app)
        await wait_until(pilot, lambda: view.turn.answer, what="the answer", timeout=30)
        await wait_until(pilot, lambda: not chat.generating, what="the end of the answer")
        shown = screen_text(app)
        assert "loading model…" not in shown
        # this answer waited for the load: its time is in the status line and the session
        assert view.turn.timings["load_ms"] > 0 and view.turn.timings["num_ctx"] == 4096
        assert f"load {view.turn.timings['load_ms'] / 1000:.1f} s" in shown
        assert ollama_server.loads == [("qwen2.5:7b-instruct-q4_K_M", 4096)]  # loaded once
    # the session file keeps Ollama's timings of the answer
    (saved,) = app.sessions.folder.glob("*.json")
    timings = json.loads(saved.read_text())["turns"][0]["timings"]
    assert timings["load_ms"] > 0 and timings["prompt_tokens"] > 0
    assert timings["prompt_eval_ms"] > 0 and timings["eval_ms"] > 0 and timings["answer_tokens"]
    assert timings["num_ctx"] == 4096 and timings["gpu_share"] == 1.0


@requires_real_model
async def test_the_app_answers_through_the_configured_llamacpp_backend(
    settings, embedder, folder: Path
) -> None:
    """answer.backend = "llamacpp": the app builds its model as `tuirag ask` does, and
    answers with the bundled SmolLM2 GGUF in-process; no Ollama is running (OLLAMA_HOST
    points at a dead port)."""
    settings.answer.backend = "llamacpp"
    settings.answer.gguf_path = str(small_model_path())
    settings.ollama.max_ctx = 2048
    settings.ollama.num_thread = 2
    settings.answer.max_answer_tokens = 24
    app = make_app(settings, indexed_services(settings, embedder, folder))
    async with app.run_test(size=(120, 30)) as pilot:
        status = "SmolLM2-135M-Instruct.Q4_1.gguf  llama.cpp"
        await wait_until(pilot, lambda: status in screen_text(app), what="the backend shown")
        view = await _ask(pilot, "How do I install the frobnicator?")
        chat = _chat(app)
        await wait_until(pilot, lambda: view.turn.answer, what="the answer", timeout=90)
        await wait_until(pilot, lambda: not chat.generating, what="the end", timeout=60)
        assert not view.turn.error, view.turn.error
        assert view.turn.answer.strip() and view.turn.sources[0].path == str(folder / "install.md")
        assert view.turn.timings["num_ctx"] == 2048 and view.turn.timings["tokens_per_s"] > 0
        shown = screen_text(app)
        assert "not running" not in shown and "ollama serve" not in shown
