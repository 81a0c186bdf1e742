"""The main screen: ask, watch the answer stream in, check its sources.

The screen only shows what the Answerer reports (Retrieved, Token, Finished,
Failed); retrieval and prompting live in the answering service. Answers run in
an exclusive async worker, so Escape cancels it and the Answerer closes the
request to Ollama.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from tuirag.screens.bindings import bind, focus_keys
from tuirag.screens.common import add_folder, export_session, open_preview
from tuirag.screens.prompt import PromptScreen
from tuirag.sessions import Session, Turn
from tuirag.widgets.conversation import Conversation
from tuirag.widgets.safe import short_path, untrusted
from tuirag.widgets.sources import SourcesList
from tuirag.widgets.status import StatusLine
from tuirag.widgets.turn import TurnView

if TYPE_CHECKING:
    from tuirag.app import TuiragApp


_UNRELATED = "None of these is related to the question (see the answer)."


class QuestionBox(Input):
    """Enter typed while the app is still starting reaches it as ^J (the terminal, not yet
    in raw mode, turns CR into NL): it asks too."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+j", "submit", show=False)]


class Welcome(Vertical):
    """First run: nothing indexed yet. Offer the current folder or another one."""

    def compose(self) -> ComposeResult:
        cwd = Path.cwd()
        yield Static(Text("Nothing is indexed yet.", style="bold"))
        yield Static(
            "tuirag answers from folders you choose. Everything stays on this machine.",
            markup=False,
        )
        with Horizontal(classes="buttons"):
            label = untrusted(f"Index {short_path(str(cwd))}")  # Text: a folder name is not markup
            yield Button(label, id="index-cwd", variant="primary")
            yield Button("Choose a folder…", id="index-other")


class ChatScreen(Screen[None]):
    app: TuiragApp
    AUTO_FOCUS = "#question"  # focused once, not the conversation first (each focus change
    # recomposes the footer before the first frame)

    BINDINGS: ClassVar[list[BindingType]] = [
        *focus_keys(),
        bind("stop", "stop", "Stop"),
        bind("regenerate", "regenerate", "Regenerate"),
        bind("copy_answer", "copy_answer", "Copy answer"),
        bind("new_chat", "new_chat", "New chat"),
        bind("export_chat", "export", "Export", show=False),
        bind("toggle_sources", "toggle_sources", "Sources", show=False),
        bind("focus_question", "focus_question", "Ask", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        self.selected: TurnView | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="chat-body"):
            yield Conversation(id="conversation")
            yield SourcesList(id="sources")
        stop, help_ = self.app.key_label("stop"), self.app.key_label("help")
        yield QuestionBox(
            placeholder=f"Ask about your files…  (Enter asks · {stop} stops · {help_} help)",
            id="question",
        )
        yield StatusLine(id="status")

    def on_mount(self) -> None:
        # the footer (~70 ms: every binding, rebuilt per focus change) comes a frame
        # after the first one, which only has to show the question box
        self.call_after_refresh(self._mount_footer)
        self.session = self.app.sessions.new()
        self.query_one("#sources", SourcesList).show([])
        self.show_empty_state()

    async def _mount_footer(self) -> None:
        await self.mount(Footer())
        self.refresh_bindings()  # a late footer missed the first bindings update

    @work(exclusive=True, exit_on_error=False, group="empty-state")
    async def show_empty_state(self) -> None:
        """Offer to index something when there is neither a folder nor an index."""
        app = self.app
        if app.folders.roots():
            return
        await app.index_ready.wait()
        if app.index_error or app.folders.roots():
            return
        if await asyncio.to_thread(app.services.store.count):
            return
        conversation = self.query_one("#conversation")
        if not conversation.query(TurnView):
            conversation.can_focus = False  # one Tab from the question to the first button
            await conversation.mount(Welcome(id="welcome"))

    @on(Button.Pressed, "#index-cwd")
    def _index_cwd(self) -> None:
        if add_folder(self, self.app.folders, Path.cwd()):
            self._close_welcome()

    @on(Button.Pressed, "#index-other")
    def _index_other(self) -> None:
        def chosen(folder: str | None) -> None:
            if folder and add_folder(self, self.app.folders, Path(folder)):
                self._close_welcome()

        self.app.push_screen(PromptScreen("Index which folder?", str(Path.cwd())), chosen)

    def _close_welcome(self) -> None:
        self.query("#welcome").remove()
        self.action_focus_question()

    # ---- asking ------------------------------------------------------------

    @property
    def generating(self) -> bool:
        return any(w.is_running for w in self.workers if w.group == "answer")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if not question:
            return
        if self.generating:
            self.notify(
                f"Still answering: {self.app.key_label('stop')} stops it first.",
                severity="warning",
                markup=False,
            )
            return
        event.input.value = ""
        assert self.session is not None
        turn = Turn(question, asked_at=self.app.clock())
        self.session.turns.append(turn)
        view = await self._mount_turn(turn)
        self.answer(view)

    async def _mount_turn(self, turn: Turn) -> TurnView:
        conversation = self.query_one("#conversation", VerticalScroll)
        await conversation.query("#welcome").remove()
        conversation.can_focus = True
        view = TurnView(turn)
        await conversation.mount(view)
        conversation.anchor()
        self._select(view)
        return view

    @work(exclusive=True, exit_on_error=False, group="answer")
    async def answer(self, view: TurnView, fresh: bool = False) -> None:
        """Stream one answer into `view`; `fresh` skips the answer cache (regenerate)."""
        from tuirag.answer.events import Failed, Finished, Loading, Retrieved, Token

        app, turn = self.app, view.turn
        session = self.session
        assert session is not None
        history = session.history(before=turn)
        try:
            if not app.index_ready.is_set():
                view.show_meta("opening the index…")
            await app.searchable(view.show_meta)
            view.show_meta("searching…")
            answerer = await app.answerer()
            if answerer is None:
                turn.error = app.index_error or "the index is not available"
                return
            events_stream = answerer.ask(turn.question, history, use_cache=not fresh)
            async with contextlib.aclosing(events_stream) as events:
                async for event in events:
                    if isinstance(event, Retrieved):
                        turn.sources = list(event.sources)
                        turn.left_out = list(event.left_out)
                        self._show_sources(view, "" if event.relevant else _UNRELATED)
                        view.show_meta(f"{len(turn.sources)} sources · answering…")
                    elif isinstance(event, Loading):
                        # seconds (a minute for a big model on a slow disk): say why
                        found = f"{len(turn.sources)} sources · " if turn.sources else ""
                        view.show_meta(f"{found}loading {event.model}…")
                        app.set_status(loading=True)
                    elif isinstance(event, Token):
                        if app.status.loading:
                            app.set_status(loading=False)
                        await view.write(event.text)
                    elif isinstance(event, Finished):
                        if event.answer and not turn.answer:  # a cached answer comes whole
                            await view.write(event.answer)
                        timings = event.timings
                        turn.timings = {**timings.to_json(), "cached": event.cached}
                        shown = app.status
                        app.set_status(
                            first_token_ms=timings.first_token_ms,
                            tokens_per_s=timings.tokens_per_s,
                            load_ms=timings.load_ms or shown.load_ms,
                            gpu_share=shown.gpu_share
                            if timings.gpu_share is None
                            else timings.gpu_share,
                        )
                        for warning in event.warnings:
                            self.notify(warning, severity="warning", markup=False)
                    elif isinstance(event, Failed):
                        turn.error = event.message
        except asyncio.CancelledError:
            turn.error = "stopped" + (" (partial answer)" if turn.answer else "")
            raise
        except Exception as exc:  # e.g. a bad answer.user_template: one line, then go on
            from tuirag.errors import user_error

            known = user_error(exc)
            turn.error = str(known) if known else f"{type(exc).__name__}: {exc}"
            if known is None:
                raise  # a bug: the app's worker handler reports it too
        finally:
            if app.status.loading:
                app.set_status(loading=False)
            await view.finish()
            view.show_meta()
            await asyncio.to_thread(app.sessions.save, session)

    def action_stop(self) -> None:
        if self.generating:
            self.workers.cancel_group(self, "answer")
        elif self.focused is not self.query_one("#question"):
            self.action_focus_question()

    async def action_regenerate(self) -> None:
        views = list(self.query(TurnView))
        if not views or self.generating:
            return
        view = views[-1]
        await view.reset()
        self._show_sources(view)
        self.answer(view, fresh=True)

    def action_copy_answer(self) -> None:
        view = self.selected
        if view is None or not view.turn.answer:
            self.notify("No answer to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(view.turn.answer)
        self.notify("Answer copied to the clipboard (OSC 52).")

    async def action_new_chat(self) -> None:
        self.workers.cancel_group(self, "answer")
        await self.query_one("#conversation").remove_children()
        self.session = self.app.sessions.new()
        self.selected = None
        self.query_one("#sources", SourcesList).show([])
        self.action_focus_question()

    def action_export(self) -> None:
        if self.session is None or not self.session.turns:
            self.notify("Nothing to export yet.", severity="warning")
            return
        export_session(self, self.session)

    def action_toggle_sources(self) -> None:
        sources = self.query_one("#sources")
        sources.display = not sources.display

    def action_focus_question(self) -> None:
        self.query_one("#question", Input).focus()

    async def resume(self, session: Session) -> None:
        """Show a saved session; the next question continues it."""
        self.workers.cancel_group(self, "answer")
        conversation = self.query_one("#conversation", VerticalScroll)
        await conversation.remove_children()
        self.session = session
        views = [TurnView(turn) for turn in session.turns]
        await conversation.mount_all(views)
        conversation.scroll_end(animate=False)
        if views:
            self._select(views[-1])

    # ---- sources -------------------------------------------------------------

    def _select(self, view: TurnView) -> None:
        if self.selected is not None:
            self.selected.remove_class("-selected")
        self.selected = view
        view.add_class("-selected")
        self._show_sources(view)

    def _show_sources(self, view: TurnView, note: str = "") -> None:
        if view is self.selected:
            self.query_one("#sources", SourcesList).show(
                view.turn.sources, self.app.folders.roots(), note, view.turn.left_out
            )

    def on_turn_view_selected(self, message: TurnView.Selected) -> None:
        self._select(message.view)

    def on_conversation_move(self, message: Conversation.Move) -> None:
        views = list(self.query(TurnView))
        if not views:
            return
        at = views.index(self.selected) if self.selected in views else len(views)
        view = views[max(0, min(len(views) - 1, at + message.delta))]
        self._select(view)
        self.query_one("#conversation", VerticalScroll).scroll_to_widget(view, animate=False)

    def on_sources_list_open(self, message: SourcesList.Open) -> None:
        hit = message.hit
        open_preview(self.app, hit, short_path(hit.path, self.app.folders.roots()))
