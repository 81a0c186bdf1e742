"""answer.backend = "llamacpp": answering in-process with SmolLM2-135M, no Ollama at all."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.helpers import write
from tests.ollama_fixtures import requires_real_model
from tests.ollama_server import small_model_path
from tuirag.answer.events import AnswerEvent, Failed, Finished, Loading, Retrieved, Token
from tuirag.answer.service import Answerer
from tuirag.backends.chat import LlmError, make_chat_model
from tuirag.backends.llamacpp_llm import LlamaCppLLM
from tuirag.config import OllamaSettings, Settings
from tuirag.services import Services

pytestmark = requires_real_model

PRODUCT = """# Zephyr 3000 blender

The Zephyr 3000 is a countertop blender with six speed settings. It costs 149 euros.
"""


@pytest.fixture
def local(services: Services, docs: Path) -> Services:
    write(docs / "product.md", PRODUCT)
    services.indexer([docs]).sync([docs])
    s = services.settings
    s.answer.backend = "llamacpp"
    s.answer.gguf_path = str(small_model_path())
    s.ollama.max_ctx = 2048
    s.ollama.num_thread = 2
    s.answer.max_answer_tokens = 24
    return services


async def test_answers_in_process_without_ollama(local: Services, docs: Path) -> None:
    # OLLAMA_HOST points at a port where nothing listens: none of this uses it
    answerer = Answerer(local)
    assert isinstance(answerer.llm, LlamaCppLLM)
    async with contextlib.aclosing(answerer.ask("How much is the Zephyr 3000?")) as events:
        got = await asyncio.wait_for(_all(events), 120)
    retrieved, loading, *tokens, finished = got
    assert isinstance(retrieved, Retrieved)
    assert retrieved.sources[0].path == str(docs / "product.md")
    assert loading == Loading("SmolLM2-135M-Instruct.Q4_1.gguf", 2048)
    assert isinstance(finished, Finished), finished
    assert tokens and all(isinstance(t, Token) for t in tokens)
    assert finished.answer == "".join(t.text for t in tokens) and finished.answer.strip()
    assert finished.timings.tokens_per_s and finished.timings.prompt_tokens
    assert finished.timings.prompt_tokens > 100  # system prompt + fenced source + question
    assert finished.timings.load_ms and finished.timings.load_ms > 0  # this answer loaded it
    assert finished.timings.prompt_eval_ms and finished.timings.num_ctx == 2048


async def _all(events: AsyncIterator[AnswerEvent]) -> list[AnswerEvent]:
    return [event async for event in events]


async def test_context_comes_from_the_gguf_metadata() -> None:
    llm = LlamaCppLLM(OllamaSettings(max_ctx=4096), str(small_model_path()))
    assert await llm.context_length() == 8192  # SmolLM2's llama.context_length
    assert await llm.num_ctx() == 4096


async def test_closing_the_stream_stops_generation() -> None:
    llm = LlamaCppLLM(OllamaSettings(num_thread=2, temperature=0.0), str(small_model_path()))
    # runs to the 1500-token limit (~13 s here) unless stopped
    messages = [{"role": "user", "content": "Write a very long story about a dragon, 2000 words."}]
    pieces = 0
    async with contextlib.aclosing(llm.chat_stream(messages, 2048, 1500)) as stream:
        async for _ in stream:
            pieces += 1
            if pieces == 3:
                break
    deadline = time.monotonic() + 3
    while any(t.name == "llamacpp-generate" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "generation went on after the stream was closed"
        await asyncio.sleep(0.05)


async def test_missing_gguf_is_one_line(local: Services) -> None:
    local.settings.answer.gguf_path = "/nowhere/model.gguf"
    events = [e async for e in Answerer(local).ask("How much is the Zephyr 3000?")]
    failed = events[-1]
    assert isinstance(events[0], Retrieved) and events[0].sources  # passages still shown
    assert isinstance(failed, Failed) and failed.kind == "model_missing"
    assert failed.message.startswith("answer.gguf_path /nowhere/model.gguf is not a file")
    with pytest.raises(LlmError):
        await LlamaCppLLM(OllamaSettings(), "/nowhere/model.gguf").warm_up()


def test_factory_picks_the_configured_backend() -> None:
    settings = Settings()
    assert type(make_chat_model(settings)).__name__ == "OllamaLLM"
    settings.answer.backend = "llamacpp"
    settings.answer.gguf_path = "/models/qwen.gguf"
    llm = make_chat_model(settings)
    assert isinstance(llm, LlamaCppLLM) and llm.model == "qwen.gguf"


def test_tuirag_ask_with_the_llamacpp_backend(local: Services, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[answer]\nbackend = "llamacpp"\ngguf_path = "{small_model_path()}"\n'
        "max_answer_tokens = 16\n[ollama]\nmax_ctx = 2048\nnum_thread = 2\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "tuirag", "--config", str(config), "ask", "Zephyr 3000 price?"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "\n\nSources:\n[1] " in result.stdout and "product.md" in result.stdout
    assert result.stderr == ""  # no remote-host notice: nothing leaves the process
