"""Shared fixtures: a temp data dir, real settings, and one real embedder per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ollama_fixtures import ollama_server, real_ollama_server  # noqa: F401 - loopback Ollama
from tuirag.backends.embedder import make_embedder
from tuirag.config import Settings
from tuirag.services import Services


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's config or index, or reaches a real Ollama."""
    monkeypatch.setenv("TUIRAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TUIRAG_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory):
    """The real default model (all-MiniLM-L6-v2 int8), loaded once."""
    settings = Settings()
    return make_embedder(settings.embedder, settings.ollama, tmp_path_factory.mktemp("models"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings()
    s.index.data_dir = str(tmp_path / "data")
    return s


@pytest.fixture
def services(settings: Settings, embedder) -> Services:
    return Services(settings, embedder=embedder)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder
