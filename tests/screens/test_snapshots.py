"""Snapshots of every screen at 80×24 and 120×40 (pytest-textual-snapshot).

Deterministic by construction: HOME is the test folder so paths read `~/docs/…`,
Ollama is the conftest's dead port, the session clock is fixed, and the cursor
does not blink. Update with `pytest tests/screens/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.app_helpers import indexed_services, screen_text, wait_until
from tests.helpers import write
from tuirag.app import make_app
from tuirag.services import Services
from tuirag.sessions import Turn
from tuirag.types import Hit

pytestmark = pytest.mark.timeout(120)

SIZES = [(80, 24), (120, 40)]
CLOCK = 1_767_225_600.0  # 2026-01-01 00:00 UTC

ANSWER = """To install the frobnicator, run `make frobnicate` in the checkout [1],
then copy `frob.conf` to `/etc` [1]. It needs **libquux 2.3** or later [2]."""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TZ", "UTC")
    docs = tmp_path / "docs"
    write(
        docs / "install.md",
        "# Installing\n\nRun `make frobnicate` in the checkout.\nCopy frob.conf to /etc.\n",
    )
    write(docs / "requirements.md", "# Requirements\n\nlibquux 2.3 or later.\n")
    monkeypatch.chdir(docs)
    return docs


def _app(settings, embedder, docs: Path | None):
    services = (
        indexed_services(settings, embedder, docs)
        if docs
        else Services(settings, embedder=embedder)
    )
    ticks = itertools.count(CLOCK, 3600.0)  # each saved session an hour after the last
    return make_app(settings, services, clock=lambda: next(ticks))


def _settled(*screen_has: str):
    """run_before: wait for the index and the Ollama check, stop the cursor blinking."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await wait_until(
            pilot,
            lambda: (
                app.index_ready.is_set()
                and app.status.ollama == "down"
                and " chunk" in app.status.index
                and not app.status.busy
            ),
        )
        for text in screen_has:
            await wait_until(
                pilot, lambda t=text: t in screen_text(app), what=f"{text!r} in\n{screen_text(app)}"
            )
        for widget in app.screen.query(Input):
            widget.cursor_blink = False
        await wait_until(
            pilot,
            lambda: app.focused is not None and not app.screen.workers,
            what="focus and workers to settle",
        )
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_first_run(snap_compare, settings, embedder, home: Path, size) -> None:
    app = _app(settings, embedder, None)
    assert snap_compare(app, terminal_size=size, run_before=_settled("Nothing is indexed yet."))


def _answered(settings, embedder, home: Path):
    """The app with one saved answer, and a run_before that resumes it."""
    app = _app(settings, embedder, home)
    session = app.sessions.new()
    session.turns.append(
        Turn(
            "How do I install the frobnicator?",
            ANSWER,
            [
                Hit(
                    str(home / "install.md"),
                    "Run `make frobnicate`",
                    0.03,
                    "a",
                    start_line=1,
                    end_line=4,
                    vector_score=0.71,
                ),
                Hit(
                    str(home / "requirements.md"),
                    "libquux 2.3",
                    0.02,
                    "b",
                    start_line=1,
                    end_line=3,
                    vector_score=0.52,
                ),
            ],
            timings={"first_token_ms": 420.0, "tokens_per_s": 31.0},
        )
    )
    app.sessions.save(session)

    async def resume(pilot: Pilot) -> None:
        pilot.app.resume_session(session.id)
        await _settled("libquux")(pilot)

    return app, resume


@pytest.mark.parametrize("size", SIZES)
def test_chat_with_answer(snap_compare, settings, embedder, home: Path, size) -> None:
    app, resume = _answered(settings, embedder, home)
    assert snap_compare(app, terminal_size=size, run_before=resume)


def test_chat_light_theme(snap_compare, settings, embedder, home: Path) -> None:
    settings.ui.theme = "textual-light"
    app, resume = _answered(settings, embedder, home)
    assert snap_compare(app, terminal_size=(80, 24), run_before=resume)


def test_chat_no_color(
    snap_compare, settings, embedder, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app, resume = _answered(settings, embedder, home)
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=resume)


@pytest.mark.parametrize("size", SIZES)
def test_preview(snap_compare, settings, embedder, home: Path, size) -> None:
    app, resume = _answered(settings, embedder, home)

    async def open_preview(pilot: Pilot) -> None:
        await resume(pilot)
        pilot.app.screen.query_one("#sources").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen.query(".-match"), what="the preview")
        await _settled("make frobnicate")(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_preview)


@pytest.mark.parametrize("size", SIZES)
def test_index_screen(snap_compare, settings, embedder, home: Path, size) -> None:
    write(home / "broken.pdf", "%PDF-1.4 not a real pdf")
    app = _app(settings, embedder, home)

    async def open_index(pilot: Pilot) -> None:
        await pilot.press("f3")
        await _settled("broken.pdf")(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_index)


@pytest.mark.parametrize("size", SIZES)
def test_models_screen_without_ollama(snap_compare, settings, embedder, home: Path, size) -> None:
    app = _app(settings, embedder, home)

    async def open_models(pilot: Pilot) -> None:
        await pilot.press("f4")
        await _settled("Search still works")(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_models)


@pytest.mark.parametrize("size", SIZES)
def test_sessions_screen(snap_compare, settings, embedder, home: Path, size) -> None:
    app = _app(settings, embedder, home)
    for question in ("How do I install the frobnicator?", "Which libquux version?"):
        session = app.sessions.new()
        session.turns.append(Turn(question, "An answer [1]."))
        app.sessions.save(session)

    async def open_sessions(pilot: Pilot) -> None:
        await pilot.press("f5")
        await _settled("Which libquux")(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_sessions)


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, settings, embedder, home: Path, size) -> None:
    app = _app(settings, embedder, home)

    async def open_help(pilot: Pilot) -> None:
        await _settled()(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_help)
