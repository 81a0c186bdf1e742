"""Embedding through Ollama's /api/embed with the real client over HTTP.

The loopback server's vectors are hashes of the text: fine here, where what is
checked is the plumbing (dimension, batching, index separation, errors), not
vector quality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import write
from tests.ollama_server import FakeModel, OllamaServer
from tuirag.backends.embedder import EmbedderError, make_embedder
from tuirag.cli.main import main
from tuirag.config import Settings
from tuirag.services import Services

EMBED_MODEL = FakeModel("nomic-embed-text", family="nomic-bert", context_length=2048)


@pytest.fixture
def embed_server(monkeypatch: pytest.MonkeyPatch):
    with OllamaServer([EMBED_MODEL]) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        yield server


def _ollama_settings() -> Settings:
    settings = Settings()
    settings.embedder.backend = "ollama"
    settings.ollama.embed_batch_size = 2
    return settings


def test_ollama_embedder_batches_prefixes_and_normalises(
    embed_server: OllamaServer, tmp_path: Path
) -> None:
    settings = _ollama_settings()
    embedder = make_embedder(settings.embedder, settings.ollama, tmp_path)
    assert embedder.dim == 32 and embedder.label == "ollama nomic-embed-text (32d)"
    vectors = embedder.embed_documents(["a", "b", "c", "d", "e"])
    assert vectors.shape == (5, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    embeds = [r.body for r in embed_server.requests if r.path == "/api/embed"]
    assert [len(b["input"]) for b in embeds[1:]] == [2, 2, 1]  # after the dimension probe
    assert embeds[1]["input"][0] == "search_document: a"  # nomic's own passage prefix
    embedder.embed_query("q")
    assert embed_server.requests[-1].body["input"] == ["search_query: q"]


def test_ollama_index_is_separate_from_fastembed(
    embed_server: OllamaServer, docs: Path, embedder
) -> None:
    write(docs / "a.md", "# A\n\nThe XR-5000 router supports 5 GHz.\n")
    settings = _ollama_settings()
    ollama_services = Services(settings)
    report = ollama_services.indexer([docs]).sync([docs])
    assert report.count("indexed") == 1 and report.embedded == 1
    local = Services(Settings(), embedder=embedder)
    assert ollama_services.store.folder != local.store.folder
    hits = ollama_services.retriever.search("XR-5000", k=1, mode="hybrid").hits
    assert hits and hits[0].path == str(docs / "a.md")


def test_ollama_requests_carry_its_own_batch_not_the_token_budget(
    embed_server: OllamaServer, docs: Path
) -> None:
    """embedder.batch_size (4 full chunks, for ONNX memory) is not Ollama's batch: N
    chunks go in ceil(N / 32) requests, not N / 4."""
    sections = [f"## Part {i}\n\nValve {i} is bled every {i + 2} winters.\n" for i in range(70)]
    write(docs / "a.md", "# Valves\n\n" + "\n".join(sections))
    settings = Settings()
    settings.embedder.backend = "ollama"
    report = Services(settings).indexer([docs]).sync([docs])
    assert report.embedded == report.chunks > 64
    embeds = [r.body for r in embed_server.requests if r.path == "/api/embed"][1:]  # no probe
    assert sum(len(b["input"]) for b in embeds) == report.chunks
    assert len(embeds) == -(-report.chunks // 32)


def test_embed_model_not_pulled_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with OllamaServer([]) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        settings = _ollama_settings()
        with pytest.raises(EmbedderError, match=r"ollama pull nomic-embed-text"):
            make_embedder(settings.embedder, settings.ollama, tmp_path)


def test_ollama_down_for_embedding_via_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[embedder]\nbackend = "ollama"\n')
    assert main(["--config", str(config), "search", "x"]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "`ollama serve`" in err
