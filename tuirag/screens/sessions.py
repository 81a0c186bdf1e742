"""Saved chats: search, resume, delete, export to Markdown."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tuirag.screens.bindings import bind, focus_keys
from tuirag.screens.common import export_session
from tuirag.sessions import SessionError, Summary
from tuirag.widgets.safe import untrusted
from tuirag.widgets.status import StatusLine

if TYPE_CHECKING:
    from tuirag.app import TuiragApp


class SessionsScreen(Screen[None]):
    app: TuiragApp

    BINDINGS: ClassVar[list[BindingType]] = [
        *focus_keys(),
        bind("resume_session", "resume", "Resume"),
        bind("delete_session", "delete", "Delete"),
        bind("export_session", "export", "Export"),
        bind("search_sessions", "search", "Search"),
    ]

    _query: str | None = None  # the search last loaded

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search sessions (questions and answers)…", id="session-search")
        table: DataTable[object] = DataTable(id="session-table", cursor_type="row")
        table.add_columns("Updated", "Turns", "Title")
        yield table
        yield Static("", id="sessions-empty", classes="hint")
        yield StatusLine(id="status")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.refresh_list()
        self.query_one("#session-table").focus()

    @on(Input.Changed, "#session-search")
    def _search(self, event: Input.Changed) -> None:
        if event.value != self._query:  # Input also reports its initial value
            self.refresh_list()

    @on(Input.Submitted, "#session-search")
    def _search_done(self) -> None:
        self.query_one("#session-table").focus()

    def refresh_list(self) -> None:
        self._query = self.query_one("#session-search", Input).value
        self._load(self._query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sessions")
    def _load(self, query: str) -> None:
        found = self.app.sessions.find(query)
        self.app.call_from_thread(self._show, found, query)

    def _show(self, found: list[Summary], query: str) -> None:
        if query != self._query:
            return  # a search for an earlier keystroke, finishing late (threads run on)
        table = self.query_one("#session-table", DataTable)
        table.clear()
        for s in found:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.updated))
            table.add_row(when, str(s.turns), untrusted(s.title), key=s.id)
        empty = (
            ""
            if found
            else (
                f"No session mentions {query!r}."
                if query
                else "No saved chats yet: every answer is saved here as you go."
            )
        )
        hint = self.query_one("#sessions-empty", Static)
        hint.update(untrusted(empty))
        hint.display = not found

    def _current(self) -> str | None:
        table = self.query_one("#session-table", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_search(self) -> None:
        self.query_one("#session-search", Input).focus()

    @on(DataTable.RowSelected, "#session-table")
    def _row_selected(self) -> None:
        self.action_resume()

    def action_resume(self) -> None:
        session_id = self._current()
        if session_id:
            self.app.resume_session(session_id)

    def action_delete(self) -> None:
        session_id = self._current()
        if session_id:
            self.app.sessions.delete(session_id)
            self.notify("Session deleted.")
            self.refresh_list()

    def action_export(self) -> None:
        session_id = self._current()
        if session_id:
            try:
                export_session(self, self.app.sessions.load(session_id))
            except SessionError as exc:
                self.notify(str(exc), severity="error", markup=False)
