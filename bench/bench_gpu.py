#!/usr/bin/env python3
"""The chat model on a GPU: time to first token, prefill/decode speed, load time, VRAM per num_ctx.

Replays the requests `tuirag ask` sends for an eval set's questions (the real
Answerer's retrieval, relevance filter and token budget build each prompt once)
against a running Ollama, once per context window in --ctx, through the real
`ollama` client. For each window:

  load s        Ollama's load_duration of the first request (a new num_ctx reloads)
  TTFT          from sending the request to the first streamed token, measured here;
                the first request (which pays the load) is left out of p50/p90
  prefill tok/s prompt_eval_count / prompt_eval_duration (Ollama's own)
  decode tok/s  eval_count / eval_duration (Ollama's own)
  loaded, VRAM  /api/ps size and size_vram after the run (weights + KV cache + runtime)
  GPU used      NVML's used memory on all GPUs (nvidia-ml-py), if present

With `--api llama-server`, --host is a llama-server (OpenAI-style /v1/chat/completions
and its own `timings`): one row, at the window it was started with (-c), no load or
/api/ps figures.

    # on the GPU box, with `ollama serve` running and the model pulled:
    .venv/bin/python bench/bench_gpu.py --host http://127.0.0.1:11434 \\
        --model qwen2.5:7b-instruct-q4_K_M --markdown gpu.md
    # CI-free: the loopback Ollama-compatible server of the tests (scripted answers,
    # simulated sizes and loads), or SmolLM2-135M on llama.cpp behind it with --real
    .venv/bin/python bench/bench_gpu.py --loopback --quick
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common

sys.path.insert(0, str(common.REPO / "tests"))  # the loopback server lives with the tests

CONTEXTS = [4096, 8192, 16384, 32768]
QUICK_CONTEXTS = [4096, 8192]
QUICK_QUESTIONS = 5


def build_requests(
    questions: list[Any], corpus: Path, settings: Any, tmp: Path
) -> list[list[dict[str, str]]]:
    """The messages `tuirag ask` sends for each question (no history), built once."""
    from tuirag.answer.gate import gate
    from tuirag.answer.service import Answerer
    from tuirag.backends.embedder import make_embedder
    from tuirag.evaluate import temp_index

    embedder = make_embedder(settings.embedder, settings.ollama, tmp / "models")

    async def fit_all(svc: Any) -> list[list[dict[str, str]]]:
        answerer = Answerer(svc)
        requests = []
        try:
            for q in questions:
                hits = svc.retriever.search(q.question, settings.answer.top_k, "hybrid").hits
                fitted = await answerer.fit(
                    q.question, gate(q.question, hits, settings.answer.min_score).kept, []
                )
                if fitted.sources:  # a question with nothing relevant never reaches the model
                    requests.append(fitted.messages)
        finally:
            await answerer.llm.aclose()
        return requests

    with temp_index(settings, corpus, embedder) as (svc, _):
        return asyncio.run(fit_all(svc))


async def run_context(
    settings: Any, num_ctx: int, requests: list[list[dict[str, str]]], max_tokens: int
) -> dict[str, Any]:
    """All requests at one num_ctx; the figures of one table row."""
    from tuirag.backends.chat import ChatStats
    from tuirag.backends.ollama_llm import OllamaLLM

    llm = OllamaLLM(dataclasses.replace(settings.ollama, num_ctx=num_ctx))
    ttfts: list[float] = []
    prefill: list[float] = []
    decode: list[float] = []
    prompt_tokens: list[int] = []
    load_s = 0.0
    try:
        for n, messages in enumerate(requests):
            sent = time.perf_counter()
            first: float | None = None
            stats: ChatStats | None = None
            stream = llm.chat_stream(messages, num_ctx, max_tokens)
            async with contextlib.aclosing(stream):
                async for piece in stream:
                    if isinstance(piece, ChatStats):
                        stats = piece
                    elif first is None:
                        first = (time.perf_counter() - sent) * 1000
            if stats is None or first is None:
                raise SystemExit(f"no answer at num_ctx {num_ctx}: is the model pulled?")
            if n == 0:
                load_s = (stats.load_duration_ns or 0) / 1e9
            else:
                ttfts.append(first)
            prompt_tokens.append(stats.prompt_eval_count or 0)
            if stats.prompt_tokens_per_s:
                prefill.append(stats.prompt_tokens_per_s)
            if stats.tokens_per_s:
                decode.append(stats.tokens_per_s)
        loaded = await llm.loaded()
    finally:
        await llm.aclose()
    return await _row(num_ctx, len(requests), prompt_tokens, ttfts, prefill, decode, load_s, loaded)


async def llama_server_context(url: str) -> int:
    """The window a llama-server was started with (-c), from its /props."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        props = (await http.get("/props")).json()
    return int(props.get("default_generation_settings", {}).get("n_ctx") or props["n_ctx"])


async def run_llama_server(
    url: str, num_ctx: int, requests: list[list[dict[str, str]]], max_tokens: int
) -> dict[str, Any]:
    """All requests against a llama-server (OpenAI-style streaming, its own `timings`):
    one row at the window it was started with; it has no /api/ps and no load per request."""
    import json

    import httpx

    ttfts: list[float] = []
    prefill: list[float] = []
    decode: list[float] = []
    prompt_tokens: list[int] = []
    async with httpx.AsyncClient(base_url=url, timeout=600) as http:
        for n, messages in enumerate(requests):
            body = {"messages": messages, "stream": True, "max_tokens": max_tokens}
            sent = time.perf_counter()
            first: float | None = None
            timings: dict[str, float] = {}
            async with http.stream("POST", "/v1/chat/completions", json=body) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if not line.startswith("data: {"):
                        continue
                    event = json.loads(line.removeprefix("data: "))
                    choices = event.get("choices") or [{}]
                    if first is None and choices[0].get("delta", {}).get("content"):
                        first = (time.perf_counter() - sent) * 1000
                    timings = event.get("timings") or timings
            if first is None or not timings:
                raise SystemExit(f"bench_gpu: no answer with timings from {url}")
            if n:  # as with Ollama: the first request (cold caches) is left out
                ttfts.append(first)
            prompt_tokens.append(int(timings["prompt_n"]))
            prefill.append(timings["prompt_n"] / (timings["prompt_ms"] / 1000))
            decode.append(timings["predicted_n"] / (timings["predicted_ms"] / 1000))
    return await _row(num_ctx, len(requests), prompt_tokens, ttfts, prefill, decode)


async def _row(
    num_ctx: int,
    requests: int,
    prompt_tokens: list[int],
    ttfts: list[float],
    prefill: list[float],
    decode: list[float],
    load_s: float | None = None,
    loaded: Any = None,
) -> dict[str, Any]:
    """One table row: the replay's medians, what the server holds (Ollama only), NVML."""
    from tuirag.backends.gpu import gpu_memory

    memory = await asyncio.to_thread(gpu_memory)
    return {
        "num_ctx": num_ctx,
        "requests": requests,
        "prompt_tokens_p50": common.median(prompt_tokens),
        "load_s": load_s,
        "ttft_p50_ms": common.median(ttfts),
        "ttft_p90_ms": common.percentile(ttfts, 90),
        "prefill_tok_s": common.median(prefill),
        "decode_tok_s": common.median(decode),
        "loaded_bytes": loaded.size if loaded else None,
        "vram_bytes": loaded.size_vram if loaded else None,
        "gpu_share": loaded.gpu_share if loaded else None,
        "ollama_context": loaded.context_length if loaded else None,
        "nvml_used_bytes": memory.used if memory else None,
        "gpus": memory.names if memory else [],
    }


def table(rows: list[dict[str, Any]]) -> str:
    from tuirag.text import human_bytes

    def size(n: int | None) -> str:
        return "?" if n is None else human_bytes(n)

    return common.markdown_table(
        [
            "num_ctx",
            "loaded",
            "in VRAM",
            "on GPU",
            "GPU used (NVML)",
            "load s",
            "prompt tokens p50",
            "TTFT p50 ms",
            "TTFT p90 ms",
            "prefill tok/s",
            "decode tok/s",
        ],
        [
            [
                r["num_ctx"],
                size(r["loaded_bytes"]),
                size(r["vram_bytes"]),
                "?" if r["gpu_share"] is None else f"{r['gpu_share']:.0%}",
                "–" if r["nvml_used_bytes"] is None else size(r["nvml_used_bytes"]),
                "–" if r["load_s"] is None else r["load_s"],
                round(r["prompt_tokens_p50"]),
                r["ttft_p50_ms"],
                r["ttft_p90_ms"],
                round(r["prefill_tok_s"]),
                r["decode_tok_s"],
            ]
            for r in rows
        ],
    )


def main() -> int:
    ap = common.parser(__doc__.splitlines()[1])
    ap.add_argument("--host", help="the running server, e.g. http://127.0.0.1:11434")
    ap.add_argument(
        "--api",
        choices=["ollama", "llama-server"],
        default="ollama",
        help="what --host is; a llama-server gives one row, at the -c it was started with",
    )
    ap.add_argument("--model", help="chat model (default: ollama.model)")
    ap.add_argument(
        "--loopback", action="store_true", help="the loopback test server instead of an Ollama"
    )
    ap.add_argument(
        "--real", action="store_true", help="with --loopback: SmolLM2-135M on llama.cpp behind it"
    )
    ap.add_argument("--ctx", type=int, nargs="+", help=f"windows to measure (default {CONTEXTS})")
    ap.add_argument("--max-tokens", type=int, default=128, help="answer length (num_predict)")
    ap.add_argument("--questions", type=Path, help="questions.jsonl (default: the generated set)")
    ap.add_argument("--corpus", type=Path, help="the folder the questions are about")
    ap.add_argument("--markdown", type=Path, help="also write the table and its method here")
    args = ap.parse_args()
    if not args.host and not args.loopback:
        ap.error("name the running server with --host URL, or use --loopback")

    from eval.make_corpus import QUESTIONS, generate
    from ollama_server import SMALL_MODEL, FakeModel, OllamaServer

    from tuirag.backends.chat import LlmError
    from tuirag.backends.ollama_llm import OllamaLLM
    from tuirag.config import Settings
    from tuirag.evaluate import load_questions

    questions = load_questions(args.questions or QUESTIONS)
    if args.quick:
        questions = questions[:QUICK_QUESTIONS]
    contexts = args.ctx or (QUICK_CONTEXTS if args.quick else CONTEXTS)
    settings = Settings()
    settings.ollama.timeout_s = 600  # a big model's first load, or a CPU-bound loopback run
    with contextlib.ExitStack() as stack:
        if args.loopback:
            small = FakeModel(  # SmolLM2-135M's shapes
                SMALL_MODEL,
                family="llama",
                context_length=8192,
                size=98_362_432,
                parameter_size="135M",
                quantization="Q4_1",
                layers=30,
                heads=9,
                kv_heads=3,
                embedding_length=576,
            )
            server = OllamaServer([small], real_model=True) if args.real else OllamaServer()
            server.load_delay = 0.0 if args.real else 0.25  # scripted: a visible load
            server.token_delay = 0.0 if args.real else 0.002
            stack.enter_context(server)
            settings.ollama.host = server.host
            settings.ollama.model = SMALL_MODEL if args.real else settings.ollama.model
        else:
            settings.ollama.host = args.host
        llama_server = settings.ollama.host if args.api == "llama-server" else ""
        if llama_server:  # the prompts are fitted to its window; it has no /api/show
            settings.ollama.num_ctx = asyncio.run(llama_server_context(llama_server))
        if args.model:
            settings.ollama.model = args.model
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tuirag-bench-gpu-")))
        corpus = args.corpus
        if corpus is None:
            corpus = tmp / "corpus"
            generate(corpus)
        requests = build_requests(questions, Path(os.path.abspath(corpus)), settings, tmp)
        if not requests:
            raise SystemExit("no question retrieved a relevant passage: nothing to replay")
        print(f"{len(requests)} requests, windows {contexts}", flush=True)
        if llama_server:
            num_ctx = settings.ollama.num_ctx
            rows = [asyncio.run(run_llama_server(llama_server, num_ctx, requests, args.max_tokens))]
            version = ""
        else:
            try:
                rows = [
                    asyncio.run(run_context(settings, n, requests, args.max_tokens))
                    for n in contexts
                ]
            except LlmError as exc:
                raise SystemExit(f"bench_gpu: {exc.message}") from None
            version = asyncio.run(_version(OllamaLLM(settings.ollama)))

    gpus = ", ".join(rows[0]["gpus"]) or "no NVIDIA GPU seen by NVML"
    if args.loopback:
        server_line = "the loopback test server" + (
            " with SmolLM2-135M on llama.cpp (CPU)" if args.real else " (scripted; sizes simulated)"
        )
        if llama_server:
            server_line += ", speaking llama-server's API"
    elif llama_server:
        server_line = f"llama-server at {llama_server}"
    else:
        server_line = f"Ollama {version} at {settings.ollama.host}"
    method = (
        f"{common.describe_machine(common.machine())}; GPU: {gpus}; {server_line}; model "
        f"{settings.ollama.model}; {len(requests)} `tuirag ask` requests, num_predict "
        f"{args.max_tokens}"
    )
    text = f"{method}\n\n{table(rows)}\n"
    print(f"\n{text}")
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    common.write_json(args.json, {"method": method, "rows": rows})
    return 0


async def _version(llm: Any) -> str:
    try:
        return str(await llm.version())
    finally:
        await llm.aclose()


if __name__ == "__main__":
    raise SystemExit(main())
