"""OllamaLLM through the real ollama client over HTTP: models, pull, VRAM, options, errors."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.ollama_server import DEFAULT_MODEL, FakeModel, OllamaServer
from tuirag.backends.chat import LlmError
from tuirag.backends.gpu import shape_from_info
from tuirag.backends.ollama_llm import OllamaLLM
from tuirag.config import OllamaSettings
from tuirag.privacy import is_loopback


def llm_for(server: OllamaServer, **settings: object) -> OllamaLLM:
    return OllamaLLM(OllamaSettings(host=server.host, **settings))  # type: ignore[arg-type]


async def test_lists_models_with_size_family_and_quantization(ollama_server: OllamaServer) -> None:
    ollama_server.models["llama3.2:3b"] = FakeModel(
        "llama3.2:3b",
        family="llama",
        size=2_019_393_189,
        parameter_size="3.2B",
        quantization="Q4_K_M",
    )
    llm = llm_for(ollama_server)
    models = {m.name: m for m in await llm.list_models()}
    assert models["llama3.2:3b"].size == 2_019_393_189
    assert (models["llama3.2:3b"].family, models["llama3.2:3b"].quantization) == ("llama", "Q4_K_M")
    assert models[DEFAULT_MODEL].parameter_size == "7.6B"
    assert await llm.has_model() and not await llm.has_model("mistral")
    assert await llm.version() == "0.12.6"
    await llm.aclose()


async def test_warm_up_loads_the_model_and_ps_shows_vram(ollama_server: OllamaServer) -> None:
    llm = llm_for(ollama_server, keep_alive="-1", num_gpu=20)
    assert await llm.running() == []
    await llm.warm_up()
    (warm,) = ollama_server.chats()
    assert warm["messages"] == [] and warm["keep_alive"] == -1  # a number: Ollama rejects "-1"
    # loaded as answers will need it, so the first question does not reload it
    assert warm["options"]["num_ctx"] == 16384 and warm["options"]["num_gpu"] == 20
    (loaded,) = await llm.running()
    assert loaded.name == DEFAULT_MODEL
    assert loaded.size_vram == loaded.size > 0
    await llm.aclose()


async def test_pull_streams_progress_then_the_model_is_listed(ollama_server: OllamaServer) -> None:
    ollama_server.registry["qwen2.5:0.5b"] = FakeModel("qwen2.5:0.5b", size=397_821_319)
    llm = llm_for(ollama_server)
    steps = [step async for step in llm.pull("qwen2.5:0.5b")]
    assert steps[0].status == "pulling manifest" and steps[-1].status == "success"
    completed = [s.completed for s in steps if s.total]
    assert completed == sorted(completed) and completed[-1] == 397_821_319
    assert "qwen2.5:0.5b" in {m.name for m in await llm.list_models()}
    with pytest.raises(LlmError, match="file does not exist"):
        _ = [step async for step in llm.pull("no-such-model")]
    await llm.aclose()


async def test_gpu_and_thread_options_are_sent_only_when_set(ollama_server: OllamaServer) -> None:
    default = llm_for(ollama_server)
    assert default.options(4096) == {"num_ctx": 4096, "temperature": 0.2}
    tuned = llm_for(ollama_server, num_gpu=28, main_gpu=1, num_thread=6, temperature=0.0)
    pieces = [p async for p in tuned.chat_stream([{"role": "user", "content": "hi"}], 4096, 64)]
    assert pieces[-1].done_reason == "stop"  # type: ignore[union-attr]
    options = ollama_server.chats()[0]["options"]
    assert options == {
        "num_ctx": 4096,
        "temperature": 0.0,
        "num_predict": 64,
        "num_gpu": 28,
        "main_gpu": 1,
        "num_thread": 6,
    }
    await default.aclose()
    await tuned.aclose()


async def test_context_length_comes_from_show(ollama_server: OllamaServer) -> None:
    ollama_server.models[DEFAULT_MODEL].context_length = 32768
    llm = llm_for(ollama_server)
    assert await llm.context_length() == 32768
    assert await llm.num_ctx() == 16384  # capped by max_ctx
    assert ollama_server.paths().count("/api/show") == 1  # cached
    with pytest.raises(LlmError) as missing:
        await llm.context_length("nope:1b")
    assert missing.value.kind == "model_missing"
    assert "`ollama pull nope:1b`" in missing.value.message
    await llm.aclose()


def test_shape_from_model_info_keys() -> None:
    qwen = shape_from_info(
        {
            "general.architecture": "qwen2",
            "qwen2.context_length": 32768,
            "qwen2.block_count": 28,
            "qwen2.attention.head_count": 28,
            "qwen2.attention.head_count_kv": 4,
            "qwen2.embedding_length": 3584,
        }
    )
    assert (qwen.context_length, qwen.layers, qwen.kv_heads, qwen.head_dim) == (32768, 28, 4, 128)
    # 28 layers x 4 KV heads x 128 x (K, V) x 2 bytes x 16384 = 0.94 GB (0.875 GiB)
    assert qwen.kv_cache_bytes(16384) == 939_524_096
    assert qwen.kv_cache_bytes(4096) == 939_524_096 // 4
    gemma = shape_from_info({"gemma3.context_length": 131072, "gemma3.attention.key_length": 256})
    assert (gemma.context_length, gemma.head_dim, gemma.kv_cache_bytes(4096)) == (131072, 256, None)
    assert shape_from_info({}).context_length is None


async def test_vram_estimate_follows_the_kv_cache_type(
    ollama_server: OllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ollama's OLLAMA_KV_CACHE_TYPE (q8_0, q4_0) shrinks the KV cache: the estimate too."""
    monkeypatch.delenv("OLLAMA_KV_CACHE_TYPE", raising=False)
    size = ollama_server.models[DEFAULT_MODEL].size

    async def kv_part(llm: OllamaLLM) -> int:
        num_ctx, needed = await llm.vram_estimate(DEFAULT_MODEL, size)
        assert num_ctx == 16384 and needed is not None  # ollama.max_ctx: no answer budget here
        return needed - size

    f16 = await kv_part(llm_for(ollama_server))
    q8 = await kv_part(llm_for(ollama_server, kv_cache_type="q8_0"))
    monkeypatch.setenv("OLLAMA_KV_CACHE_TYPE", "q4_0")  # read when the config leaves it empty
    q4 = await kv_part(llm_for(ollama_server))
    kv_f16 = 939_524_096  # the Qwen 2.5 7B shape at 16384 (above)
    overhead = f16 - kv_f16
    assert q8 - overhead == kv_f16 * 34 // 64
    assert q4 - overhead == kv_f16 * 18 // 64


async def test_hung_daemon_times_out_with_a_clear_line(ollama_server: OllamaServer) -> None:
    ollama_server.token_delay = 3.0
    llm = llm_for(ollama_server, timeout_s=0.5)
    with pytest.raises(LlmError) as hung:
        await asyncio.wait_for(_drain(llm), 10)
    assert hung.value.kind == "other" and "did not answer within" in hung.value.message
    await llm.aclose()


async def _drain(llm: OllamaLLM) -> None:
    async for _ in llm.chat_stream([{"role": "user", "content": "hi"}], 2048):
        pass


async def test_daemon_down_then_up_without_restart() -> None:
    with socket.socket() as probe:  # a free port, with nothing listening once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    llm = OllamaLLM(OllamaSettings(host=f"http://127.0.0.1:{port}"))
    with pytest.raises(LlmError) as down:
        await llm.list_models()
    assert down.value.message == (
        f"Ollama is not running at http://127.0.0.1:{port}: start it with `ollama serve`"
    )
    with OllamaServer(port=port):  # the daemon comes up: the same backend now works
        assert [m.name for m in await llm.list_models()] == [DEFAULT_MODEL]
    await llm.aclose()


def test_loopback_detection() -> None:
    assert is_loopback("http://127.0.0.1:11434") and is_loopback("http://localhost:11434")
    assert is_loopback("http://[::1]:11434")
    assert not is_loopback("http://192.168.1.20:11434") and not is_loopback("http://gpu-box:11434")
