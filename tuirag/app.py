"""The terminal app: the composition root that wires services to screens.

Nothing heavy is imported here or by the screens and widgets: LanceDB, the
embedding model and the Ollama client are loaded in thread workers after the
first frame, so the app is interactive at once. Background work reports back
through `call_from_thread` and the `status` reactive; the event loop never waits
on disk, model or network.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from multiprocessing import resource_tracker
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from tuirag import keys
from tuirag.backends.chat import model_label
from tuirag.config import ConfigError, Settings
from tuirag.folders import Folders
from tuirag.screens.bindings import bind
from tuirag.screens.chat import ChatScreen
from tuirag.screens.help import HelpScreen, commands
from tuirag.screens.palette import FileSearch
from tuirag.services import Services
from tuirag.sessions import SessionStore
from tuirag.widgets.status import Status

if TYPE_CHECKING:
    from tuirag.answer.service import Answerer
    from tuirag.backends.chat import ChatModel
    from tuirag.backends.ollama_llm import OllamaLLM
    from tuirag.ingest.background import BackgroundIndexer
    from tuirag.ingest.events import IndexEvent, NoticeLevel
    from tuirag.search.no_match import IndexState

DARK, LIGHT = "textual-dark", "textual-light"
OTHER_WRITER_WAIT_S = 60.0  # for the first chunks of an index another process fills
SEVERITY: dict[NoticeLevel, SeverityLevel] = {
    "info": "information",
    "warning": "warning",
    "error": "error",
}


class IndexUpdate(Message):
    """A background-indexing event, carried from the indexer thread to the event loop."""

    def __init__(self, event: IndexEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        # a newer progress count makes an unprocessed older one pointless
        from tuirag.ingest.events import Indexing

        return (
            isinstance(message, IndexUpdate)
            and isinstance(message.event, Indexing)
            and isinstance(self.event, Indexing)
        )


# The other modes' screens are imported when first shown: the first frame needs only chat.
def index_screen() -> Screen[None]:
    from tuirag.screens.index import IndexScreen

    return IndexScreen()


def models_screen() -> Screen[None]:
    from tuirag.screens.models import ModelsScreen

    return ModelsScreen()


def sessions_screen() -> Screen[None]:
    from tuirag.screens.sessions import SessionsScreen

    return SessionsScreen()


class TuiragApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tuirag"
    MODES: ClassVar[dict[str, Any]] = {
        "chat": ChatScreen,
        "index": index_screen,
        "models": models_screen,
        "sessions": sessions_screen,
    }
    DEFAULT_MODE = "chat"
    COMMANDS = App.COMMANDS | {FileSearch}  # the palette searches your files too
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("help", "help", "Help"),
        bind("show_chat", "switch_mode('chat')", "Chat"),
        bind("show_index", "switch_mode('index')", "Index"),
        bind("show_models", "switch_mode('models')", "Models"),
        bind("show_sessions", "switch_mode('sessions')", "Sessions"),
        bind("toggle_theme", "toggle_theme", "Theme", show=False),
        bind("quit", "quit", "Quit", priority=True),
        bind("command_palette", "command_palette", "palette", show=False, priority=True),
    ]

    status: reactive[Status] = reactive(Status, always_update=True)

    def __init__(
        self,
        settings: Settings,
        services: Services,
        sessions: SessionStore,
        extra_folders: Iterable[Path] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.services = services
        self.sessions = sessions
        self.clock = clock
        self._llm: ChatModel | None = None
        self._ollama: OllamaLLM | None = None
        self._answerer: Answerer | None = None
        self.background: BackgroundIndexer | None = None
        self.folders = Folders(settings, services.roots, extra_folders, lambda: self.background)
        self.index_ready = asyncio.Event()
        self.index_error = ""  # why the index could not be opened, if it could not
        # (done, total) while this app's indexer works through a pass; None when idle
        self.index_progress: tuple[int, int] | None = None
        self.index_events: Signal[IndexEvent] = Signal(self, "index-events")
        theme = settings.ui.theme or DARK
        if theme not in self.available_themes:
            raise ConfigError(
                f"ui.theme = {theme!r} is not a theme; try {DARK!r} or {LIGHT!r} "
                f"(all: {', '.join(sorted(self.available_themes))})"
            )
        self.theme = theme
        self.set_keymap(settings.ui.keys)  # [ui.keys]: rebinds by the ids in tuirag.keys
        # per app, not per class: Textual reads it from the instance
        self.COMMAND_PALETTE_BINDING = keys.first_key("command_palette", settings.ui.keys)  # type: ignore[misc]
        self.set_reactive(TuiragApp.status, Status(model=model_label(settings)))

    # ---- composition ------------------------------------------------------

    @property
    def llm(self) -> ChatModel:
        """The model that answers: answer.backend's, built by the factory `tuirag ask` uses."""
        if self._llm is None:
            from tuirag.backends.chat import make_chat_model

            self._llm = make_chat_model(self.settings)
        return self._llm

    @property
    def ollama(self) -> OllamaLLM:
        """The Ollama daemon, for the Models screen (the answering model when it is Ollama)."""
        from tuirag.backends.ollama_llm import OllamaLLM

        if isinstance(self.llm, OllamaLLM):
            return self.llm
        if self._ollama is None:
            settings = self.settings
            self._ollama = OllamaLLM(settings.ollama, wanted_ctx=settings.answer.context_needed())
        return self._ollama

    def set_status(self, **changes: Any) -> None:
        self.status = replace(self.status, **changes)

    # ---- start-up ----------------------------------------------------------

    def on_mount(self) -> None:
        from tuirag.privacy import remote_notices

        for line in remote_notices(self.settings):
            self.notify(line, title="Not private", severity="warning", markup=False, timeout=20)
        # after the first frame: importing LanceDB, the model and the Ollama client in
        # workers still takes the GIL in long stretches, which would delay that frame
        self.call_after_refresh(self._start_services)

    def _start_services(self) -> None:
        # Start multiprocessing's resource tracker (a Python process, so after the first
        # frame) with the real stderr: Textual's stand-in has fileno() == -1, and the
        # tracker, if the first parse child started it, would fail with "bad value(s) in
        # fds_to_keep".
        with contextlib.redirect_stderr(sys.__stderr__):
            resource_tracker.ensure_running()
        self.open_index()
        self.check_ollama()

    @work(thread=True, exclusive=True, exit_on_error=False, group="open-index")
    def open_index(self) -> None:
        """Load the embedder and open the store off the event loop (both take seconds)."""
        from tuirag.errors import user_error

        try:
            store = self.services.store
            counts = store.counts()
            self.start_indexing()
        except Exception as exc:  # the app must still run: search-less, saying why
            known = user_error(exc)
            message = str(known) if known else f"cannot open the index: {exc}"
            self.call_from_thread(self._index_failed, message)
            if known is None:
                raise  # reported once more, with its type, by on_worker_state_changed
            return
        self.call_from_thread(self._index_opened, counts.files, counts.chunks, counts.embedded)
        # questions embed: load the model now, so the first one need not wait; a model
        # that cannot load is reported by that question, in one line
        with contextlib.suppress(Exception):
            self.services.embedder.load()

    def _index_opened(self, files: int, chunks: int, embedded: int) -> None:
        self.index_ready.set()
        # the indexer thread may have reported first (as a reader): keep its note
        self.set_status(index=index_summary(files, chunks, embedded) + self._indexed_by())

    def _indexed_by(self) -> str:
        writer = self.background.writer_pid if self.background is not None else None
        return f" · indexed by pid {writer}" if writer is not None else ""

    def _index_failed(self, message: str) -> None:
        self.index_error = message
        self.index_ready.set()
        self.set_status(index="index unavailable")
        self.notify(message, severity="error", markup=False, timeout=15)

    @work(exclusive=True, exit_on_error=False, group="ollama")
    async def check_ollama(self) -> None:
        """Is the model there? Then load it now (keep_alive), so the first answer is quick."""
        await asyncio.to_thread(importlib.import_module, "tuirag.backends.ollama_llm")
        from tuirag.backends.chat import LlmError
        from tuirag.backends.ollama_llm import OllamaLLM

        llm = self.llm
        if isinstance(llm, OllamaLLM):
            try:
                names = {m.name for m in await llm.list_models()}
            except LlmError:
                self.set_status(ollama="down")
                return
            self.set_status(ollama="up")
            model = llm.model
            if model not in names and f"{model}:latest" not in names:
                self.notify(
                    f"Model {model} is not pulled: press {self.key_label('show_models')} "
                    f"then {self.key_label('pull_model')}, or run "
                    f"`ollama pull {model}`",
                    severity="warning",
                    markup=False,
                    timeout=10,
                )
                return
        else:
            self.set_status(ollama="local")
        await self.warm_up()

    async def warm_up(self) -> None:
        """Load the model with the answers' window; the status line says so meanwhile."""
        from tuirag.backends.chat import LlmError
        from tuirag.backends.gpu import offload_warning

        llm = self.llm
        self.set_status(loading=True)
        started = time.perf_counter()
        try:
            await llm.warm_up()
            share = await llm.gpu_share()
        except LlmError as exc:
            self.notify(exc.message, severity="warning", markup=False, timeout=10)
            return
        finally:
            self.set_status(loading=False)
        self.set_status(load_ms=(time.perf_counter() - started) * 1000, gpu_share=share)
        if share is not None and (warning := offload_warning(llm.model, share)):
            self.notify(warning, severity="warning", markup=False, timeout=15)

    def on_index_update(self, message: IndexUpdate) -> None:
        self.index_event(message.event)

    def index_event(self, event: IndexEvent) -> None:
        """Called on the event loop for each background-indexing event."""
        from tuirag.ingest.events import Embedding, Idle, Indexing, Notice, Stopped

        if isinstance(event, Indexing):
            self.index_progress = (event.done, event.total)
            self.set_status(index=f"indexing {event.done} of {event.total}", busy=True)
        elif isinstance(event, Embedding):
            self.set_status(index=f"embedded {event.done:,} of {event.total:,}", busy=True)
        elif isinstance(event, Idle):
            self.index_progress = None
            summary = index_summary(event.files, event.chunks, event.embedded)
            self.set_status(index=summary + self._indexed_by(), busy=False)
        elif isinstance(event, Notice):
            self.notify(event.message, severity=SEVERITY[event.level], markup=False)
        elif isinstance(event, Stopped):
            self.notify(event.message, severity="error", markup=False)
        self.index_events.publish(event)

    # ---- indexing ------------------------------------------------------------

    def start_indexing(self) -> None:
        """Run the background indexer (watch + reconcile) from a worker thread.

        It is the index's single writer; when another process (`tuirag watch`) holds
        the writer lock it stays a reader and reports that process's progress.
        """

        def forward(event: IndexEvent) -> None:
            # post_message is thread-safe and never waits, so the indexer cannot block
            # on a busy (or closing) event loop
            self.post_message(IndexUpdate(event))

        self.background = self.services.background_indexer(self.folders.roots(), forward)
        self.index_progress = (0, 0)  # its start-up scan runs until the first Idle
        self.background.start()

    async def action_quit(self) -> None:
        """Let the indexer finish its batch first (off the event loop, so the UI says so).

        Leaving while ONNX Runtime embeds on another thread aborts the interpreter.
        """
        if self.background is not None and self.background.running:
            self.notify("Finishing the current indexing batch…", timeout=60)
            await asyncio.to_thread(self.background.stop)
        self.exit()

    def on_unmount(self) -> None:
        if self.background is not None:
            self.background.stop()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed says so in one line; nothing fails silently."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.log.error(f"worker {event.worker.name} failed", error)
            self.notify(
                f"{event.worker.name}: {type(error).__name__}: {error}",
                severity="error",
                markup=False,
                timeout=15,
            )

    # ---- answering and sessions ----------------------------------------------

    async def answerer(self) -> Answerer | None:
        """The answering service, built on first use once the index is open."""
        await self.index_ready.wait()
        if self.index_error:
            return None
        if self._answerer is None:
            module = await asyncio.to_thread(importlib.import_module, "tuirag.answer.service")
            self._answerer = module.Answerer(self.services, self.llm, self.index_state)
        return self._answerer

    def index_state(self) -> IndexState:
        """What the index is doing, for "nothing found" messages (reads the store: a thread)."""
        from tuirag.search.no_match import index_state

        return index_state(self.services.store, self.folders.roots(), self.index_progress)

    async def searchable(self, waiting: Callable[[str], None]) -> None:
        """Return once a question can be answered from what will be indexed.

        An index that is empty while its first pass runs (here or in `tuirag watch`)
        would answer "empty": wait for its first files instead, telling `waiting` how
        far indexing is. A filled index, or one nobody is filling, returns at once.
        """
        await self.index_ready.wait()
        if self.index_error:
            return
        from tuirag.search.no_match import filler

        store = self.services.store

        def count() -> int:
            store.refresh()
            return store.searchable_count()

        started = time.monotonic()
        while not await asyncio.to_thread(count):
            background = self.background
            if background is None or not background.running:
                return  # indexing failed or stopped: the answer says why nothing is found
            if self.index_progress is not None:
                done, total = self.index_progress
                counted = f" ({done} of {total} files)" if total else ""
                waiting(f"indexing your files{counted}… the answer follows")
            elif background.writer_pid is None or time.monotonic() - started > OTHER_WRITER_WAIT_S:
                return
            elif (writer := await asyncio.to_thread(filler, store)) is not None:
                waiting(f"tuirag (pid {writer}) is indexing your files… the answer follows")
            else:
                return
            await asyncio.sleep(0.25)

    def use_model(self, name: str) -> None:
        """Answer with Ollama model `name` from now on (and with Ollama, if llama.cpp did)."""
        self.settings.ollama.model = name
        self.settings.answer.backend = "ollama"
        self._llm = self._ollama = None  # rebuilt for the new model on first use
        self._answerer = None
        self.folders.save_settings()
        self.set_status(model=name)
        self.notify(f"Answering with {name}", markup=False)
        self.check_ollama()

    def resume_session(self, session_id: str) -> None:
        from tuirag.sessions import SessionError

        try:
            session = self.sessions.load(session_id)
        except SessionError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.switch_mode("chat")
        chat = self.screen
        if isinstance(chat, ChatScreen):
            self.call_later(chat.resume, session)

    # ---- actions -------------------------------------------------------------

    def key_label(self, action_id: str) -> str:
        """The key for an action as hints name it ("Esc", "F1"), after [ui.keys]."""
        return keys.label(action_id, self.settings.ui.keys)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(commands(self, self.screen)))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in commands(self, screen):
            yield SystemCommand(
                command.description,
                f"key: {command.key}",
                lambda c=command: self.run_action(c.action, c.node),
            )
        yield from super().get_system_commands(screen)


def index_summary(files: int, chunks: int, embedded: int) -> str:
    text = f"{files:,} file{'s' * (files != 1)} · {chunks:,} chunk{'s' * (chunks != 1)}"
    return text + (f" · embedded {embedded:,} of {chunks:,}" if embedded < chunks else "")


def make_app(
    settings: Settings,
    services: Services | None = None,
    *,
    folders: Iterable[Path] = (),
    clock: Callable[[], float] = time.time,
) -> TuiragApp:
    """Build the app; the CLI and the tests both come through here."""
    services = services or Services(settings)
    sessions = SessionStore(services.data_dir / "sessions", now=clock)
    return TuiragApp(settings, services, sessions, folders, clock)
