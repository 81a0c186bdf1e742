"""`tuirag ask`, `tuirag models` and doctor's model check, run as a user would: in a pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import write
from tests.ollama_server import DEFAULT_MODEL, FakeModel, OllamaServer
from tuirag.services import Services

PRODUCT = """# Zephyr 3000 blender

The Zephyr 3000 is a countertop blender with a 1.5 litre glass jar and six speed settings.
It is sold for 149 euros and comes with a two-year warranty.
"""
GARDEN = """# Growing tomatoes

Plant tomatoes after the last frost, in full sun, 60 cm apart.
"""


def tuirag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tuirag", *args],
        capture_output=True,  # stdout and stderr are pipes, not terminals
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def indexed(services: Services, docs: Path) -> Path:
    write(docs / "product.md", PRODUCT)
    write(docs / "garden.md", GARDEN)
    assert not services.indexer([docs]).sync([docs]).failed
    return docs


def test_ask_in_a_pipe_streams_plain_text_then_sources(
    indexed: Path, ollama_server: OllamaServer
) -> None:
    ollama_server.reply = "The Zephyr 3000 is sold for 149 euros [1]."
    result = tuirag("ask", "How much does the Zephyr 3000 cost?")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr  # no colour, no progress
    answer, sources = result.stdout.split("\n\nSources:\n")
    assert answer.strip() == "The Zephyr 3000 is sold for 149 euros [1]."
    first = sources.splitlines()[0]  # path, place in the file, heading path
    assert first == f"[1] {indexed / 'product.md'}  L1-4  Zephyr 3000 blender"
    assert result.stderr == (  # the unrelated garden passage did not reach the model
        "note: 1 retrieved passage(s) not given to the model (cosine below "
        f"answer.min_score and few of the question's words): {indexed / 'garden.md'} L1-3\n"
    )


def test_ask_json_gives_answer_sources_timings_and_cached(
    indexed: Path, ollama_server: OllamaServer
) -> None:
    ollama_server.reply = "149 euros [1]."
    ollama_server.load_delay = 0.3
    first = tuirag("ask", "--json", "How much does the Zephyr 3000 cost?")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["answer"] == "149 euros [1]." and data["cached"] is False
    assert data["sources"][0]["path"] == str(indexed / "product.md")
    assert data["sources"][0]["start_line"] == 1
    timings = data["timings"]
    assert timings["retrieval_ms"] > 0 and timings["first_token_ms"] > 0
    assert timings["tokens_per_s"] > 0
    # Ollama's own timings: this first answer loaded the model (0.3 s here)
    assert data["model_loaded"] is True and timings["load_ms"] >= 300
    assert timings["prompt_tokens"] > 0 and timings["prompt_eval_ms"] > 0
    assert timings["eval_ms"] > 0 and timings["answer_tokens"] > 0
    assert timings["num_ctx"] == 4096 and timings["gpu_share"] == 1.0
    assert data["warnings"] == []

    again = json.loads(tuirag("ask", "--json", "How much does the Zephyr 3000 cost?").stdout)
    assert again["cached"] is True and again["answer"] == "149 euros [1]."
    assert again["sources"] == data["sources"]
    assert len(ollama_server.chats()) == 1


def test_ask_json_reports_a_partly_offloaded_model(
    indexed: Path, ollama_server: OllamaServer
) -> None:
    ollama_server.models[DEFAULT_MODEL].vram_share = 0.62  # Ollama put some layers on the CPU
    result = tuirag("ask", "--json", "--no-cache", "How much does the Zephyr 3000 cost?")
    data = json.loads(result.stdout)
    assert data["timings"]["gpu_share"] == 0.62
    assert data["warnings"] == [
        f"model {DEFAULT_MODEL} 62% on GPU: answers will be several times slower; "
        "lower answer.source_tokens or ollama.max_ctx, or pick a smaller model"
    ]
    plain = tuirag("ask", "--no-cache", "How much does the Zephyr 3000 cost?")
    assert f"warning: model {DEFAULT_MODEL} 62% on GPU" in plain.stderr


def test_ask_without_ollama_prints_the_passages_and_exits_4(indexed: Path) -> None:
    result = tuirag("ask", "How much does the Zephyr 3000 cost?")  # OLLAMA_HOST: a dead port
    assert result.returncode == 4
    assert "It is sold for 149 euros" in result.stdout  # the retrieved passage itself
    assert str(indexed / "product.md") in result.stdout
    assert result.stderr.strip() == (
        "tuirag: Ollama is not running at http://127.0.0.1:9: start it with `ollama serve`"
    )


def test_ask_with_the_model_missing_exits_5(indexed: Path, ollama_server: OllamaServer) -> None:
    result = tuirag("ask", "--model", "qwen3:8b", "How much does the Zephyr 3000 cost?")
    assert result.returncode == 5
    assert "model qwen3:8b is not pulled: run `ollama pull qwen3:8b`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_ask_names_a_remote_host(indexed: Path) -> None:
    # 0.0.0.0 is not a loopback name; nothing listens on port 9, so this fails fast
    result = tuirag("ask", "Zephyr price?", env={"OLLAMA_HOST": "http://0.0.0.0:9"})
    assert result.stderr.splitlines()[0] == (
        "note: passages from your documents go to http://0.0.0.0:9 (not this machine)"
    )


def test_unrelated_question_answers_not_in_documents(
    indexed: Path, ollama_server: OllamaServer
) -> None:
    result = tuirag("ask", "Who won the 1998 football world cup final?")
    assert result.returncode == 0
    assert result.stdout.startswith("Your indexed documents do not seem to contain this")
    assert ollama_server.chats() == []


def test_models_list_pull_and_ps(ollama_server: OllamaServer) -> None:
    ollama_server.registry["qwen2.5:0.5b"] = FakeModel(
        "qwen2.5:0.5b", size=397_821_319, parameter_size="494M", quantization="Q4_K_M"
    )
    listed = tuirag("models")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == [
        "NAME", "FILE", "VRAM", "NEEDED", "CONTEXT", "FAMILY", "PARAMS", "QUANT"
    ]  # fmt: skip
    # 4.68 GB file + 0.23 GB KV cache for 4096 tokens + 0.5 GB runtime; as `ollama list`: 4.7 GB
    assert row.split() == [
        DEFAULT_MODEL, "4.7", "GB", "5.4", "GB", "4096", "qwen2", "7.6B", "Q4_K_M"
    ]  # fmt: skip
    assert "FILE: the model file. VRAM NEEDED: estimated" in listed.stderr
    assert "free VRAM unknown" in listed.stderr  # no NVIDIA GPU here

    pulled = tuirag("models", "pull", "qwen2.5:0.5b")
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == "pulled qwen2.5:0.5b"
    assert pulled.stderr.splitlines()[0] == "pulling manifest"
    assert pulled.stderr.splitlines()[-1] == "success" and "\x1b" not in pulled.stderr

    assert "no model is loaded" in tuirag("models", "ps").stdout
    ollama_server.loaded[DEFAULT_MODEL] = 16384
    ps = tuirag("models", "ps").stdout.splitlines()
    assert ps[0].split() == ["NAME", "LOADED", "IN", "VRAM", "PROCESSOR", "CONTEXT", "UNTIL"]
    # loaded = file + KV cache for 16384 tokens: 4.68 + 0.94 GB
    assert ps[1].split()[:8] == [DEFAULT_MODEL, "5.6", "GB", "5.6", "GB", "100%", "GPU", "16384"]
    ollama_server.models[DEFAULT_MODEL].vram_share = 0.62
    ps = tuirag("models", "ps")
    assert ps.stdout.splitlines()[1].split()[5:8] == ["62%", "GPU", "/"]
    assert f"warning: model {DEFAULT_MODEL} 62% on GPU: answers will be" in ps.stderr

    missing = tuirag("models", "pull", "nope")
    assert missing.returncode == 1 and "file does not exist" in missing.stderr


def test_models_without_ollama_exits_4() -> None:
    result = tuirag("models")
    assert result.returncode == 4
    assert "start it with `ollama serve`" in result.stderr


def test_doctor_says_whether_the_chat_model_is_pulled(ollama_server: OllamaServer) -> None:
    assert f"chat model: {DEFAULT_MODEL} is pulled" in tuirag("doctor").stdout
    ollama_server.models.clear()
    assert f"chat model: {DEFAULT_MODEL} is not pulled: run `tuirag models pull" in (
        tuirag("doctor").stdout
    )


def test_doctor_reports_vram_offload_and_a_window_that_would_reload(
    ollama_server: OllamaServer,
) -> None:
    lines = tuirag("doctor").stdout.splitlines()
    # not loaded: what it would need, with the window answers ask for
    assert (
        "ok   gpu: not loaded now; needs ~5.4 GB of VRAM with context 4096: free VRAM unknown"
        in (lines)
    )
    ollama_server.loaded[DEFAULT_MODEL] = 4096
    ollama_server.models[DEFAULT_MODEL].vram_share = 0.62
    report = tuirag("doctor")
    assert (
        f"warn gpu: model {DEFAULT_MODEL} 62% on GPU: answers will be several times slower; "
        "lower answer.source_tokens or ollama.max_ctx, or pick a smaller model "
        "(4.9 GB loaded, context 4096)"
    ) in report.stdout.splitlines()
    ollama_server.models[DEFAULT_MODEL].vram_share = 1.0
    ollama_server.loaded[DEFAULT_MODEL] = 16384  # loaded by another client with its own window
    lines = tuirag("doctor").stdout.splitlines()
    assert f"ok   gpu: {DEFAULT_MODEL} 100% on GPU (5.6 GB loaded, context 16384)" in lines
    assert (
        "warn context: loaded with context 16384, answers ask for 4096: the next question "
        "reloads the model (seconds)"
    ) in lines
