"""A non-loopback Ollama host is announced by every entry point that sends it text:
the app, `ask`, `ingest` and `watch` with embedder.backend = "ollama", and `doctor`
(issue 15, item 9). 0.0.0.0:9 is not loopback, and nothing listens there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import tuirag
from tests.helpers import write
from tuirag.app import make_app
from tuirag.config import Settings
from tuirag.services import Services

REMOTE = "http://0.0.0.0:9"
EMBED = f"every chunk of your documents goes to {REMOTE} to be embedded (not this machine)"
ANSWER = f"passages from your documents go to {REMOTE} (not this machine)"


@pytest.fixture
def remote_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OLLAMA_HOST", REMOTE)
    config = tmp_path / "config.toml"
    config.write_text('[embedder]\nbackend = "ollama"\n')
    return config


def test_ingest_and_watch_say_chunks_leave_the_machine(remote_config: Path, docs: Path) -> None:
    write(docs / "a.md", "# A\n\ntext\n")
    for command in ("ingest", "watch"):
        result = tuirag("--config", str(remote_config), command, str(docs), timeout=60)
        assert result.returncode == 3  # nothing listens there, after the notice
        assert f"note: {EMBED}" in result.stdout + result.stderr


def test_doctor_flags_both_uses(remote_config: Path) -> None:
    result = tuirag("--config", str(remote_config), "doctor", timeout=60)
    assert f"warn privacy: {EMBED}" in result.stdout.splitlines()
    assert f"warn privacy: {ANSWER}" in result.stdout.splitlines()


def test_a_local_host_is_not_announced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    result = tuirag("doctor", timeout=60)
    assert "privacy" not in result.stdout


async def test_the_app_warns_on_start(
    settings: Settings, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", REMOTE)
    app = make_app(settings, Services(settings, embedder=embedder))
    async with app.run_test() as pilot:
        await pilot.pause(0.2)
        assert ANSWER in [n.message for n in app._notifications]
