"""Index, models, sessions, help and first-run screens, driven with real keys."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from textual.widgets import DataTable, ProgressBar

from tests.app_helpers import indexed_services, screen_text, wait_until
from tests.helpers import write
from tests.ollama_server import FakeModel, OllamaServer
from tuirag import config
from tuirag.app import make_app
from tuirag.ingest.events import Done, Idle, Indexing
from tuirag.screens.chat import ChatScreen
from tuirag.screens.help import HelpScreen
from tuirag.screens.index import IndexScreen
from tuirag.screens.models import ModelsScreen
from tuirag.screens.sessions import SessionsScreen
from tuirag.services import Services
from tuirag.sessions import Turn
from tuirag.types import Hit

pytestmark = pytest.mark.timeout(120)


def _cell(table: DataTable, row: int, column: int) -> str:
    return str(table.get_row_at(row)[column])


async def test_index_screen_follows_a_file_added_on_disk(settings, embedder, docs: Path) -> None:
    write(docs / "a.md", "# Alpha\n\nThe alpha file talks about apples.\n")
    settings.watch.debounce_ms = 100
    app = make_app(settings, indexed_services(settings, embedder, docs))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        assert isinstance(app.screen, IndexScreen)
        folders = app.screen.query_one("#folders", DataTable)
        await wait_until(
            pilot, lambda: folders.row_count and _cell(folders, 0, 1) == "1", what="the folder row"
        )
        assert _cell(folders, 0, 0) == "docs" or _cell(folders, 0, 0).endswith("docs")

        write(docs / "b.md", "# Beta\n\nThe beta file talks about bananas.\n")
        (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
        await wait_until(
            pilot,
            lambda: _cell(folders, 0, 1) == "2",
            timeout=30,
            what="the new file to be counted",
        )
        failed = app.screen.query_one("#failed", DataTable)
        await wait_until(
            pilot, lambda: failed.row_count == 1, timeout=30, what="the failed file listed"
        )
        assert "broken.pdf" in _cell(failed, 0, 0)
        assert _cell(folders, 0, 4) == "1"
        # b.md is found by keyword at once; its vector follows when the indexer is idle
        await wait_until(
            pilot, lambda: not app.services.store.count_pending(), timeout=30, what="vectors"
        )

        events: list[object] = []
        app.index_events.subscribe(app.screen, events.append)
        bar = app.screen.query_one("#index-progress", ProgressBar)
        shown: list[tuple[bool, float | None]] = []
        bar.watch(bar, "total", lambda total: shown.append((bar.display, total)), init=False)

        def outcomes() -> dict[str, tuple[str, int]]:
            return {
                Path(e.outcome.path).name: (e.outcome.status, e.outcome.embedded)
                for e in events
                if isinstance(e, Done)
            }

        await pilot.press("r")  # re-index the selected folder: every file parsed again
        await wait_until(
            pilot,
            lambda: events and isinstance(events[-1], Idle),
            timeout=30,
            what="the re-index pass",
        )
        # same text, so every vector is reused: parsed and written, nothing embedded
        assert outcomes() == {
            "a.md": ("indexed", 0),
            "b.md": ("indexed", 0),
            "broken.pdf": ("failed", 0),
        }
        progress = [(e.done, e.total) for e in events if isinstance(e, Indexing)]
        assert progress[-1] == (3, 3) and all(total == 3 for _, total in progress)
        assert (True, 3) in shown and not bar.display  # n of 3 while it ran, gone when idle

        events.clear()
        await pilot.press("s")  # a rescan only looks for changes
        await wait_until(
            pilot, lambda: events and isinstance(events[-1], Idle), timeout=30, what="the rescan"
        )
        assert {status for status, _ in outcomes().values()} == {"unchanged"}
        assert set(outcomes()) == {"a.md", "b.md", "broken.pdf"}
        assert _cell(app.screen.query_one("#failed", DataTable), 0, 0).endswith("broken.pdf")


async def test_add_and_remove_folder_are_written_to_the_config(
    settings, embedder, docs: Path, tmp_path: Path
) -> None:
    other = tmp_path / "notes"
    write(other / "n.md", "# Notes\n\nSome notes about pears.\n")
    app = make_app(settings, indexed_services(settings, embedder, docs))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3", "a")
        await wait_until(pilot, lambda: app.screen.query("#prompt-input"), what="the prompt")
        app.screen.query_one("#prompt-input").value = str(other)
        await pilot.press("enter")
        folders = app.screen.query_one("#folders", DataTable)
        await wait_until(pilot, lambda: folders.row_count == 2, what="the second folder")
        written = tomllib.loads(config.paths.config_file().read_text())
        assert written["index"]["folders"] == [str(docs), str(other)]
        assert config.load().index.folders == [str(docs), str(other)]

        await pilot.press("a")  # a path that is not a folder is refused
        await wait_until(pilot, lambda: app.screen.query("#prompt-input"), what="the prompt")
        app.screen.query_one("#prompt-input").value = str(tmp_path / "missing")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, IndexScreen))
        assert config.load().index.folders == [str(docs), str(other)]

        folders.move_cursor(row=1)
        await pilot.press("d")
        await wait_until(pilot, lambda: folders.row_count == 1, what="the folder removed")
        assert config.load().index.folders == [str(docs)]


async def test_pull_a_model_with_progress_then_use_it(
    settings, embedder, docs: Path, ollama_server: OllamaServer
) -> None:
    ollama_server.registry["smollm2:135m"] = FakeModel(
        "smollm2:135m",
        family="llama",
        context_length=8192,
        size=98_000_000,
        parameter_size="135M",
        quantization="Q4_1",
    )
    app = make_app(settings, Services(settings, embedder=embedder))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: ollama_server.loaded, what="the warm-up at start")
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        table = screen.query_one("#model-table", DataTable)
        await wait_until(pilot, lambda: "32768" in screen_text(app), what="the model list")
        shown = screen_text(app)
        # the file as `ollama list` sizes it; VRAM for the window answers use
        assert "qwen2.5:7b-instruct-q4_K_M  4.7 GB  5.4 GB at 4096" in shown

        ollama_server.token_delay = 0.05
        seen: list[float] = []
        bar = screen.query_one("#pull-progress", ProgressBar)
        bar.watch(bar, "progress", lambda value: seen.append(value), init=False)
        await pilot.press("p")
        await wait_until(pilot, lambda: app.screen.query("#prompt-input"), what="the prompt")
        app.screen.query_one("#prompt-input").value = "smollm2:135m"
        await pilot.press("enter")
        bar = screen.query_one("#pull-progress", ProgressBar)
        await wait_until(
            pilot, lambda: table.row_count == 2, what="the pulled model listed", timeout=15
        )

        assert bar.total == 98_000_000
        assert any(0 < p < 98_000_000 for p in seen), seen  # the bar moved through the pull
        assert "smollm2:135m: pulled" in screen_text(app)

        table.move_cursor(
            row=[table.get_row_at(i)[1].plain for i in range(2)].index("smollm2:135m")
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.status.model == "smollm2:135m", what="the switch")
        assert config.load().ollama.model == "smollm2:135m"


async def test_models_screen_shows_vram_and_a_partly_offloaded_model(
    settings, embedder, ollama_server: OllamaServer
) -> None:
    app = make_app(settings, Services(settings, embedder=embedder))
    async with app.run_test(size=(150, 30)) as pilot:
        await wait_until(pilot, lambda: ollama_server.loaded, what="the warm-up at start")
        await pilot.press("f4")
        await wait_until(pilot, lambda: "32768" in screen_text(app), what="the model list")
        shown = screen_text(app)
        assert (
            "loaded: qwen2.5:7b-instruct-q4_K_M · 4.9 GB (weights + KV cache for context 4096) "
            "· 100% on GPU"
        ) in shown
        assert "free VRAM: unknown (pip install" in shown  # no GPU here
        assert "on GPU" not in shown.splitlines()[-2]  # the status line: nothing to say

        ollama_server.models["qwen2.5:7b-instruct-q4_K_M"].vram_share = 0.62
        await pilot.press("u")
        await wait_until(pilot, lambda: "62% on GPU" in screen_text(app), what="the offload")
        shown = screen_text(app)
        assert "(weights + KV cache for context 4096) · 62% on GPU: answers will be" in shown
        assert "answer.source_tokens or ollama.max_ctx, or pick a smaller model" in shown
        assert "qwen2.5:7b-instruct-q4_K_M  ollama up · 62% on GPU" in shown  # the status line


async def test_models_screen_without_ollama_names_the_command(settings, embedder) -> None:
    app = make_app(settings, Services(settings, embedder=embedder))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await wait_until(pilot, lambda: "ollama serve" in screen_text(app), what="the hint")
        assert "Search still works" in screen_text(app)


async def test_sessions_search_resume_delete(settings, embedder, docs: Path) -> None:
    app = make_app(settings, Services(settings, embedder=embedder))
    for question, answer in (("budget 2024", "It is 12 k€ [1]."), ("holiday rota", "Alice.")):
        session = app.sessions.new()
        session.turns.append(Turn(question, answer, [Hit(str(docs / "b.md"), "x", 0.5, "c1")]))
        app.sessions.save(session)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f5")
        assert isinstance(app.screen, SessionsScreen)
        table = app.screen.query_one("#session-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 2, what="the list")
        await pilot.press("slash", *"12 k")
        await wait_until(pilot, lambda: table.row_count == 1, what="the search")
        assert "budget 2024" in screen_text(app)
        await pilot.press("enter")  # to the table
        await pilot.press("enter")  # resume
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ChatScreen) and "It is 12 k€ [1]." in screen_text(app),
            what="the resumed chat",
        )
        await pilot.press("f5")
        await wait_until(pilot, lambda: table.row_count == 1)
        app.screen.query_one("#session-table").focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: table.row_count == 0, what="the deletion")
        assert [s.title for s in app.sessions.find()] == ["holiday rota"]


async def test_help_and_palette_list_every_action_with_its_key(settings, embedder) -> None:
    app = make_app(settings, Services(settings, embedder=embedder))
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.screen
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        for key, action in (
            ("esc", "Stop"),
            ("^r", "Regenerate"),
            ("^y", "Copy answer"),
            ("^n", "New chat"),
            ("f3", "Index"),
            ("f4", "Models"),
        ):
            assert any(key in line and action in line for line in shown.splitlines()), action
        await pilot.press("escape")
        await pilot.press("f6")
        assert app.theme == "textual-light"
        titles = {c.title for c in app.get_system_commands(chat)}
        assert {"Stop", "Regenerate", "Copy answer", "New chat", "Export", "Index"} <= titles
        await pilot.press("ctrl+p", *"models")
        await wait_until(
            pilot,
            lambda: type(app.screen).__name__ == "CommandPalette" and "key: f4" in screen_text(app),
            what="the palette",
        )
        await pilot.press("enter")  # an app-level action runs from the palette too
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen), what="Models")


async def test_keys_remapped_in_the_config_file_drive_footer_help_and_hints(
    settings, embedder, tmp_path: Path
) -> None:
    path = config.paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"[index]\ndata_dir = {str(tmp_path / 'data')!r}\n\n[ui.keys]\n"
        "regenerate = 'ctrl+n'\nnew_chat = 'ctrl+r'\n"  # swapped
        "stop = 'escape,ctrl+g'\nshow_index = 'f7'\nhelp = 'f9,?'\n"
        "command_palette = 'f10'\nfocus_next = 'f11'\n"
    )
    settings = config.load()
    app = make_app(settings, Services(settings, embedder=embedder))
    async with app.run_test(size=(160, 30)) as pilot:
        chat = app.screen
        await pilot.pause()  # the footer comes a frame after the first
        shown = screen_text(app)
        footer = shown.splitlines()[-1]
        assert "^n Regenerate" in footer and "^r New chat" in footer and "f9 Help" in footer
        assert footer.endswith("f10 palette")
        assert "Esc stops · F9 help" in shown  # the question box's hint follows the keys
        assert isinstance(chat, ChatScreen)
        session = chat.session
        await pilot.press("ctrl+n")  # regenerate: nothing to regenerate yet
        assert chat.session is session
        await pilot.press("ctrl+r")  # new chat
        await wait_until(pilot, lambda: chat.session is not session, what="a new chat")
        await pilot.press("f3")  # no longer bound
        assert app.screen is chat
        await pilot.press("question_mark")  # typed into the question box, as before
        await pilot.press("f9")
        assert isinstance(app.screen, HelpScreen)
        lines = screen_text(app).splitlines()
        for key, action in (
            ("^n", "Regenerate"),
            ("^r", "New chat"),
            ("esc, ^g", "Stop"),
            ("f7", "Index"),
            ("f9, ?", "Help"),
            ("f10", "palette"),
            ("f11", "Focus Next"),
            ("shift+tab", "Focus Previous"),
        ):
            assert any(re.search(rf"│\s+{re.escape(key)}\s+{action}\s", line) for line in lines), (
                key,
                action,
            )
        assert not any(re.search(r"│\s+f3\s", line) for line in lines)
        rows = [
            next(n for n, line in enumerate(lines) if re.search(rf"\s{action}\s+│", line))
            for action in (
                "Stop",
                "Regenerate",
                "Copy answer",
                "New chat",
                "Quit",
                "Help",
                "Chat",
                "Index",
                "Models",
                "palette",
            )
        ]
        assert rows == sorted(rows)  # rebound keys keep their place in the list
        await pilot.press("escape", "f10")
        await wait_until(
            pilot, lambda: type(app.screen).__name__ == "CommandPalette", what="the palette"
        )
        await pilot.press("escape", "f7")
        await wait_until(pilot, lambda: isinstance(app.screen, IndexScreen), what="the index")
        assert "f7 Index" in screen_text(app).splitlines()[-1]


def test_every_action_a_screen_lists_has_a_remappable_id() -> None:
    from tuirag import keys
    from tuirag.app import TuiragApp
    from tuirag.screens.preview import PreviewScreen
    from tuirag.screens.prompt import PromptScreen
    from tuirag.widgets.conversation import Conversation

    ids = set()
    for node in (
        TuiragApp,
        Conversation,
        ChatScreen,
        IndexScreen,
        ModelsScreen,
        SessionsScreen,
        PreviewScreen,
        HelpScreen,
        PromptScreen,
    ):
        for binding in node.BINDINGS:
            assert binding.id in keys.DEFAULTS, (node.__name__, binding)
            assert binding.key == keys.DEFAULTS[binding.id]
            ids.add(binding.id)
    assert ids == set(keys.DEFAULTS)  # and no id without a binding


async def test_first_run_offers_to_index_the_current_folder(
    settings, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "[b]proj[/b]"  # a folder name is shown as it is, not as markup
    write(docs / "a.md", "# Alpha\n\nThe alpha file talks about apples.\n")
    monkeypatch.chdir(docs)
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app(settings, Services(settings, embedder=embedder))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(
            pilot, lambda: "Nothing is indexed yet." in screen_text(app), what="the welcome"
        )
        assert "Index ~/[b]proj[/b]" in screen_text(app)
        await pilot.click("#index-cwd")
        await wait_until(
            pilot,
            lambda: app.status.index.startswith("1 file "),
            timeout=30,
            what="the folder indexed",
        )
        assert config.load().index.folders == [str(docs)]


def test_no_color_is_respected(settings, embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(settings, Services(settings, embedder=embedder))
    assert app.no_color


async def test_another_writer_makes_the_app_a_reader(settings, embedder, docs: Path) -> None:
    import os

    from tuirag.backends.lock import WriterLock

    write(docs / "a.md", "# Alpha\n\nThe alpha file talks about apples.\n")
    services = indexed_services(settings, embedder, docs)
    with WriterLock(services.store.folder):  # as `tuirag watch` would hold it
        app = make_app(settings, services)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(
                pilot,
                lambda: f"indexed by pid {os.getpid()}" in screen_text(app),
                what="the reader notice",
            )
            assert app.status.index.startswith("1 file · 1 chunk")
