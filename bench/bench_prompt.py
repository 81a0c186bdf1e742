#!/usr/bin/env python3
"""Prompt size against the recall of the sources given, over answer.top_k and answer.source_tokens.

On a small GPU the prompt decides the wait for the first token (prefill), and the
context window decides the VRAM (KV cache). This replays what `tuirag ask` sends for
every question of an eval set — the real retrieval, relevance gate (answer/gate.py) and
token budget (`Answerer.fit`), with the window the chat model would ask for — for a
grid of top_k × source_tokens, and reports:

  recall      share of questions whose prompt holds a relevant passage (from the
              expected file, with every expected string: tuirag.evaluate.relevant)
  sources     passages given to the model (mean)
  prompt      the prompt's tokens (our estimate: WordPiece × 1.15), median and p90
  num_ctx     the window requested; KV cache = its VRAM for Qwen2.5-7B (f16)

`/api/show` (the model's context length) comes from the loopback Ollama-compatible
server in tests/, so no Ollama is needed.

    .venv/bin/python bench/bench_prompt.py [--quick] [--json PATH]
    .venv/bin/python bench/bench_prompt.py --questions Q.jsonl --corpus DIR   # another set
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import common

sys.path.insert(0, str(common.REPO / "tests"))  # the loopback server lives with the tests

TOP_KS = [3, 4, 5, 6, 8, 10]
SOURCE_TOKENS = [0, 768, 1024, 1536, 2048, 3072]  # 0: no cap but the window (the old way)
QUICK_TOP_KS = [4, 6]
QUICK_SOURCE_TOKENS = [0, 1024, 1536]


async def measure(
    services: Any, questions: list[Any], corpus: Path, top_ks: list[int], budgets: list[int]
) -> list[dict[str, Any]]:
    from tuirag.answer.gate import gate
    from tuirag.answer.service import Answerer
    from tuirag.backends.chat import make_chat_model
    from tuirag.backends.gpu import ModelShape
    from tuirag.evaluate import relevant

    qwen = ModelShape(32768, layers=28, kv_heads=4, head_dim=128)
    settings = services.settings
    rows = []
    for k in top_ks:
        hits = {
            q.question: services.retriever.search(q.question, k, settings.search.mode).hits
            for q in questions
        }
        for budget in budgets:
            settings.answer.top_k, settings.answer.source_tokens = k, budget
            answerer = Answerer(services, make_chat_model(settings))
            found, given, tokens = 0, [], []
            for q in questions:
                fitted = await answerer.fit(
                    q.question,
                    gate(q.question, hits[q.question], settings.answer.min_score).kept,
                    [],
                )
                found += any(relevant(h, q, corpus) for h in fitted.sources)
                given.append(len(fitted.sources))
                tokens.append(fitted.estimate)
            await answerer.llm.aclose()
            num_ctx = fitted.num_ctx
            rows.append(
                {
                    "top_k": k,
                    "source_tokens": budget,
                    "num_ctx": num_ctx,
                    "kv_cache_gb": (qwen.kv_cache_bytes(num_ctx) or 0) / 1e9,
                    "recall": found / len(questions),
                    "sources": sum(given) / len(given),
                    "prompt_p50": common.median(tokens),
                    "prompt_p90": common.percentile(tokens, 90),
                }
            )
            print(f"top_k {k}, source_tokens {budget}: recall {rows[-1]['recall']:.3f}", flush=True)
    return rows


def main() -> int:
    ap = common.parser(__doc__.splitlines()[1])
    ap.add_argument("--questions", type=Path, help="questions.jsonl (default: the generated set)")
    ap.add_argument("--corpus", type=Path, help="the folder the questions are about")
    args = ap.parse_args()

    from eval.make_corpus import QUESTIONS, generate
    from ollama_server import OllamaServer

    from tuirag.backends.embedder import make_embedder
    from tuirag.config import Settings
    from tuirag.evaluate import load_questions, temp_index

    questions = load_questions(args.questions or QUESTIONS)
    top_ks = QUICK_TOP_KS if args.quick else TOP_KS
    budgets = QUICK_SOURCE_TOKENS if args.quick else SOURCE_TOKENS
    with tempfile.TemporaryDirectory(prefix="tuirag-bench-prompt-") as tmp:
        corpus = args.corpus
        if corpus is None:
            corpus = Path(tmp) / "corpus"
            generate(corpus)
        corpus = Path(os.path.abspath(corpus))
        settings = Settings()
        embedder = make_embedder(settings.embedder, settings.ollama, Path(tmp) / "models")
        with OllamaServer() as server, temp_index(settings, corpus, embedder) as (svc, _):
            settings.ollama.host = server.host
            rows = asyncio.run(measure(svc, questions, corpus, top_ks, budgets))

    print(f"\n{common.describe_machine(common.machine())}; {len(questions)} questions")
    common.report(
        "Recall of the sources given vs prompt size (answer.top_k × answer.source_tokens)",
        [
            "top_k",
            "source_tokens",
            "num_ctx",
            "KV cache GB (7B)",
            "recall",
            "sources",
            "prompt p50",
            "prompt p90",
        ],
        [
            [
                r["top_k"],
                r["source_tokens"] or "no cap",
                r["num_ctx"],
                r["kv_cache_gb"],
                r["recall"],
                r["sources"],
                round(r["prompt_p50"]),
                round(r["prompt_p90"]),
            ]
            for r in rows
        ],
    )
    common.write_json(args.json, {"questions": len(questions), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
