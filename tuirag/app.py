"""The terminal app: the composition root that wires services to screens.

Nothing heavy is imported here or by the screens and widgets: LanceDB, the
embedding model and the Ollama client are loaded in thread workers after the
first frame, so the app is interactive at once. Background work reports back
through `call_from_thread` and the `status` reactive; the event loop never waits
on disk, model or network.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from multiprocessing import resource_tracker
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from textual import work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from tuirag import keys
from tuirag.backends.chat import model_label
from tuirag.config import ConfigError, Settings
from tuirag.screens.bindings import bind
from tuirag.screens.chat import ChatScreen
from tuirag.screens.help import HelpScreen
from tuirag.screens.index import IndexScreen
from tuirag.screens.models import ModelsScreen
from tuirag.screens.sessions import SessionsScreen
from tuirag.services import Services
from tuirag.sessions import SessionStore
from tuirag.widgets.status import Status

if TYPE_CHECKING:
    from tuirag.answer.service import Answerer
    from tuirag.backends.chat import ChatModel
    from tuirag.backends.ollama_llm import OllamaLLM
    from tuirag.ingest.background import BackgroundIndexer
    from tuirag.ingest.events import IndexEvent
    from tuirag.sessions import Session

DARK, LIGHT = "textual-dark", "textual-light"


class Command(NamedTuple):
    key: str  # as the footer shows it, e.g. "^n" or "f1, ?"
    description: str
    action: str
    node: App[Any] | Screen[Any]  # where the action runs


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


class TuiragApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tuirag"
    MODES: ClassVar[dict[str, Any]] = {
        "chat": ChatScreen,
        "index": IndexScreen,
        "models": ModelsScreen,
        "sessions": SessionsScreen,
    }
    DEFAULT_MODE = "chat"
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
        self.extra_folders = [Path(os.path.abspath(p)) for p in extra_folders]
        self.clock = clock
        self._llm: ChatModel | None = None
        self._ollama: OllamaLLM | None = None
        self._answerer: Answerer | None = None
        self.background: BackgroundIndexer | None = None
        self.index_ready = asyncio.Event()
        self.index_error = ""  # why the index could not be opened, if it could not
        self.index_events: Signal[IndexEvent] = Signal(self, "index-events")
        theme = settings.ui.theme or DARK
        if theme not in self.available_themes:
            raise ConfigError(
                f"ui.theme = {theme!r} is not a theme; try {DARK!r} or {LIGHT!r} "
                f"(all: {', '.join(sorted(self.available_themes))})"
            )
        self.theme = theme
        self.set_keymap(settings.ui.keys)  # [ui.keys]: rebinds by the ids in tuirag.keys
        self.COMMAND_PALETTE_BINDING = keys.first_key("command_palette", settings.ui.keys)
        self.set_reactive(TuiragApp.status, Status(model=model_label(settings)))
        # Start multiprocessing's resource tracker while stderr is still a real file:
        # Textual swaps it for an object with fileno() == -1, and the tracker (started
        # by the first parse child process) would then fail with "bad value(s) in fds_to_keep".
        resource_tracker.ensure_running()

    # ---- composition ------------------------------------------------------

    def roots(self) -> list[Path]:
        """Folders the app keeps indexed: configured ones, then those named on the command line."""
        roots = [Path(os.path.abspath(p)) for p in self.services.roots()]
        return roots + [p for p in self.extra_folders if p not in roots]

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

    def config_path(self) -> Path:
        from tuirag import paths

        return self.settings.source or paths.config_file()

    def save_settings(self) -> None:
        """Write settings changed in the app back to the config file (atomically)."""
        from tuirag import config_file

        path = self.config_path()
        config_file.write(path, self.settings)
        self.settings.source = path

    def set_status(self, **changes: Any) -> None:
        self.status = replace(self.status, **changes)

    # ---- start-up ----------------------------------------------------------

    def on_mount(self) -> None:
        self.open_index()
        self.check_ollama()

    @work(thread=True, exclusive=True, exit_on_error=False, group="open-index")
    def open_index(self) -> None:
        """Load the embedder and open the store off the event loop (both take seconds)."""
        from tuirag.errors import user_error

        try:
            store = self.services.store
            files, chunks = len(store.file_records()), store.count()
            self.start_indexing()
        except Exception as exc:  # the app must still run: search-less, saying why
            known = user_error(exc)
            message = str(known) if known else f"cannot open the index: {exc}"
            self.call_from_thread(self._index_failed, message)
            if known is None:
                raise  # reported once more, with its type, by on_worker_state_changed
            return
        self.call_from_thread(self._index_opened, files, chunks)

    def _index_opened(self, files: int, chunks: int) -> None:
        self.index_ready.set()
        self.set_status(index=index_summary(files, chunks))

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
        from tuirag.ingest.events import Idle, Indexing, Notice

        writer = self.background.writer_pid if self.background is not None else None
        by_other = f" · indexed by pid {writer}" if writer is not None else ""
        if isinstance(event, Indexing):
            self.set_status(index=f"indexing {event.done} of {event.total}", busy=True)
        elif isinstance(event, Idle):
            self.set_status(index=index_summary(event.files, event.chunks) + by_other, busy=False)
        elif isinstance(event, Notice):
            severity = {"error": "error", "warning": "warning"}.get(event.level, "information")
            self.notify(event.message, severity=severity, markup=False)  # type: ignore[arg-type]
        self.index_events.publish(event)

    # ---- indexing ------------------------------------------------------------

    def start_indexing(self) -> None:
        """Run the background indexer (watch + reconcile) from a worker thread.

        It is the index's single writer; when another process (`tuirag watch`) holds
        the writer lock it stays a reader and reports that process's progress.
        """
        from tuirag.ingest.background import BackgroundIndexer

        def forward(event: IndexEvent) -> None:
            # post_message is thread-safe and never waits, so the indexer cannot block
            # on a busy (or closing) event loop
            self.post_message(IndexUpdate(event))

        self.background = BackgroundIndexer(self.services, self.roots(), forward)
        self.background.start()

    def add_folder(self, folder: Path) -> bool:
        """Watch one more folder and save it in the config; False if it is not a folder."""
        folder = Path(os.path.abspath(folder))
        if not folder.is_dir():
            self.notify(f"not a folder: {folder}", severity="error", markup=False)
            return False
        if str(folder) not in self.settings.index.folders:
            self.settings.index.folders.append(str(folder))
            self.save_settings()
            self.notify(
                f"Watching {folder} (saved in {self.config_path()}){self._by_other()}", markup=False
            )
        if self.background is not None:
            self.background.add_folder(folder)  # queued: applies here only if this app writes
        return True

    def remove_folder(self, folder: Path) -> None:
        self.settings.index.folders = [
            f for f in self.settings.index.folders if Path(os.path.abspath(f)) != folder
        ]
        self.extra_folders = [p for p in self.extra_folders if p != folder]
        self.save_settings()
        if self.background is not None:
            self.background.remove_folder(folder, forget=True)
        self.notify(
            f"No longer watching {folder}; its files leave the index{self._by_other()}",
            markup=False,
        )

    def _by_other(self) -> str:
        """While `tuirag watch` writes the index, it applies folder changes from the config."""
        writer = self.background.writer_pid if self.background is not None else None
        return f"; the indexing process (pid {writer}) will pick it up" if writer else ""

    def reindex(self, folder: Path | None = None, force: bool = False) -> None:
        if self.background is not None:
            self.background.reindex(folder, force=force)

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
            self._answerer = module.Answerer(self.services, self.llm)
        return self._answerer

    def use_model(self, name: str) -> None:
        """Answer with Ollama model `name` from now on (and with Ollama, if llama.cpp did)."""
        self.settings.ollama.model = name
        self.settings.answer.backend = "ollama"
        self._llm = self._ollama = None  # rebuilt for the new model on first use
        self._answerer = None
        self.save_settings()
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

    def export_session(self, session: Session) -> None:
        """Write the session as Markdown into the current folder."""
        from tuirag.sessions import export_markdown

        name = re.sub(r"[^\w-]+", "-", session.title.lower()).strip("-")[:40] or "session"
        target = Path.cwd() / f"tuirag-{name}.md"
        try:
            target.write_text(export_markdown(session), encoding="utf-8")
        except OSError as exc:
            self.notify(f"cannot write {target}: {exc.strerror}", severity="error", markup=False)
            return
        self.notify(f"Exported to {target}", markup=False)

    # ---- actions -------------------------------------------------------------

    def key_label(self, action_id: str) -> str:
        """The key for an action as hints name it ("Esc", "F1"), after [ui.keys]."""
        return keys.label(action_id, self.settings.ui.keys)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(list(self.commands(self.screen))))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK

    def commands(self, screen: Screen[Any]) -> Iterable[Command]:
        """Every action bound on `screen` or the app, with its keys: for help and the palette."""
        seen = set()
        found: list[tuple[Command, str | None]] = []
        for key, active in screen.active_bindings.items():
            binding, node = active.binding, active.node
            if not isinstance(node, App | Screen):
                continue  # a widget's own editing keys (Input's cursor moves, …)
            if binding.system or not binding.description or (node, binding.action) in seen:
                continue
            seen.add((node, binding.action))
            shown = [
                self.get_key_display(a.binding)
                for a in screen.active_bindings.values()
                if a.binding.action == binding.action and a.node is node
            ]
            found.append(
                (
                    Command(
                        ", ".join(dict.fromkeys(shown)) or key,
                        binding.description,
                        binding.action,
                        node,
                    ),
                    binding.id,
                )
            )
        # the keymap moves rebound keys to the end of their screen's list: keep tuirag.keys'
        # order, with Textual's own keys (Tab, the palette) before or after as they were
        nodes = {node: n for n, node in enumerate(dict.fromkeys(c.node for c, _ in found))}
        ids = {action_id: n for n, action_id in enumerate(keys.DEFAULTS)}
        first: dict[object, int] = {}
        for n, (command, action_id) in enumerate(found):
            if action_id in ids:
                first.setdefault(command.node, n)

        def rank(n: int) -> tuple[int, int, int]:
            command, action_id = found[n]
            if action_id in ids:
                return nodes[command.node], 1, ids[action_id]
            return nodes[command.node], 0 if n < first.get(command.node, n + 1) else 2, n

        return [found[n][0] for n in sorted(range(len(found)), key=rank)]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in self.commands(screen):
            yield SystemCommand(
                command.description,
                f"key: {command.key}",
                lambda c=command: self.run_action(c.action, c.node),
            )
        yield from super().get_system_commands(screen)


def index_summary(files: int, chunks: int) -> str:
    return f"{files} file{'s' * (files != 1)} · {chunks} chunk{'s' * (chunks != 1)}"


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
