"""How long tuirag makes a question wait before the model starts, vs the model itself.

For each question, through the real `Answerer` and the real `ollama` client:
  overhead   = retrieval (embed + hybrid search) + prompt build (budget, /api/show cached)
  model TTFT = from sending /api/chat to the first streamed token (Ollama's side)
  tokens/s   = Ollama's eval_count / eval_duration

By default the model is SmolLM2-135M-Instruct (Q4_1) run by llama-cpp-python behind
the loopback Ollama-compatible server from tests/ (no Ollama needed), with a scripted
server beside it to show the cost of the HTTP path alone, and the same model run
in-process by `answer.backend = "llamacpp"`. With --host it measures a real Ollama
daemon instead (e.g. on a GPU box).

    .venv/bin/python bench/bench_answer.py            # 20 questions, p50
    .venv/bin/python bench/bench_answer.py --quick    # 5 questions
    .venv/bin/python bench/bench_answer.py --host http://127.0.0.1:11434 \\
        --model qwen2.5:7b-instruct-q4_K_M --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuirag.answer.service import Answerer
    from tuirag.backends.embedder import Embedder
    from tuirag.services import Services

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the loopback server lives with the tests

# (topic, fact sentence, question) — one small file per topic, plus filler files
TOPICS = [
    (
        "Zephyr 3000 blender",
        "The Zephyr 3000 blender costs 149 euros and has six speeds.",
        "How much does the Zephyr 3000 blender cost?",
    ),
    (
        "tomato planting",
        "Plant tomatoes 60 cm apart after the last frost, in full sun.",
        "How far apart should tomatoes be planted?",
    ),
    (
        "night train",
        "The Vienna to Rome night train leaves at 19:30 every evening.",
        "When does the night train to Rome leave?",
    ),
    (
        "backup policy",
        "Backups run nightly at 02:00 and are kept for 35 days.",
        "How long are backups kept?",
    ),
    (
        "vacation rules",
        "Employees get 27 vacation days; up to 5 carry over to the next year.",
        "How many vacation days carry over?",
    ),
    (
        "sourdough",
        "Feed the sourdough starter daily with equal weights of flour and water.",
        "How do I feed the sourdough starter?",
    ),
    (
        "bike tyres",
        "Road bike tyres should be pumped to 6 to 7 bar for riders of 75 kg.",
        "What pressure for road bike tyres?",
    ),
    (
        "server ports",
        "The metrics service listens on port 9464 and the API on port 8443.",
        "Which port does the metrics service use?",
    ),
    (
        "wifi password",
        "Guest wifi passwords rotate every Monday and are printed at reception.",
        "When does the guest wifi password change?",
    ),
    (
        "coffee machine",
        "Descale the office coffee machine every 500 cups with citric acid.",
        "How often should the coffee machine be descaled?",
    ),
    (
        "release train",
        "Releases ship every second Tuesday after the QA sign-off meeting.",
        "When do releases ship?",
    ),
    (
        "parking",
        "Visitor parking is on level -2; tickets are validated at the front desk.",
        "Where do visitors park?",
    ),
    (
        "solar panels",
        "The roof has 24 solar panels producing about 9 MWh per year.",
        "How much energy do the solar panels produce?",
    ),
    (
        "cat food",
        "The cat eats 60 grams of dry food a day split into two meals.",
        "How much food does the cat get?",
    ),
    (
        "database limits",
        "Each tenant database is limited to 200 connections and 50 GB.",
        "What is the connection limit per tenant database?",
    ),
    (
        "fire drill",
        "Fire drills happen in March and September; the meeting point is the oak tree.",
        "Where is the fire drill meeting point?",
    ),
    (
        "invoice terms",
        "Invoices are payable within 30 days; late payments incur 2% interest.",
        "What are the invoice payment terms?",
    ),
    (
        "hiking trail",
        "The ridge trail is 14 km long with 900 m of climbing.",
        "How long is the ridge trail?",
    ),
    (
        "laptop policy",
        "Laptops are replaced every four years or after a failed battery test.",
        "How often are laptops replaced?",
    ),
    (
        "library hours",
        "The library opens at 9:00 and closes at 20:00, Sundays closed.",
        "When does the library close?",
    ),
]
FILLER = (
    "This section covers background, history and general remarks that do not answer specific "
    "questions. It mentions schedules, budgets, places and people in passing. "
)


def write_corpus(folder: Path, filler_files: int) -> None:
    for i, (topic, fact, _) in enumerate(TOPICS):
        body = f"# {topic.title()}\n\n{FILLER * 2}\n\n{fact}\n\n{FILLER}\n"
        (folder / f"topic{i:02}.md").write_text(body, encoding="utf-8")
    for i in range(filler_files):
        topic = TOPICS[i % len(TOPICS)][0]
        text = f"# Notes {i} on {topic}\n\n{FILLER * 3}\n"
        (folder / f"filler{i:03}.md").write_text(text, encoding="utf-8")


def p50(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


async def run_questions(answerer: Answerer, questions: list[str]) -> dict[str, list[float]]:
    from tuirag.answer.events import Failed, Finished, Retrieved

    out: dict[str, list[float]] = {
        "overhead": [],
        "retrieval": [],
        "prompt": [],
        "ttft": [],
        "tps": [],
        "to_first_token": [],
    }
    for question in questions:
        started = time.perf_counter()
        first = None
        async with contextlib.aclosing(answerer.ask(question)) as events:
            async for event in events:
                if isinstance(event, Retrieved):
                    out["retrieval"].append(event.retrieval_ms)
                elif isinstance(event, Failed):
                    raise SystemExit(f"bench: {event.message}")
                elif isinstance(event, Finished):
                    t = event.timings
                    out["prompt"].append(t.prompt_ms)
                    out["overhead"].append(t.retrieval_ms + t.prompt_ms)
                    if t.first_token_ms is not None:
                        out["ttft"].append(t.first_token_ms)
                    if t.tokens_per_s:
                        out["tps"].append(t.tokens_per_s)
                elif first is None:
                    first = (time.perf_counter() - started) * 1000
                    out["to_first_token"].append(first)
    return out


def make_services(
    data: Path,
    host: str,
    model: str,
    max_ctx: int,
    answer_tokens: int,
    embedder: Embedder | None = None,
) -> Services:
    from tuirag.config import Settings
    from tuirag.services import Services

    settings = Settings()
    settings.index.data_dir = str(data)
    settings.ollama.host = host
    settings.ollama.model = model
    settings.ollama.max_ctx = max_ctx
    settings.ollama.temperature = 0.0
    settings.answer.cache = False  # every question must reach the model
    settings.answer.max_answer_tokens = answer_tokens
    return Services(settings, embedder=embedder)


async def measure(services: Services, questions: list[str]) -> dict[str, list[float]]:
    from tuirag.answer.service import Answerer

    answerer = Answerer(services)
    try:
        await run_questions(answerer, questions[:1])  # warm: embedder, model load, /api/show
        return await run_questions(answerer, questions)
    finally:
        await answerer.llm.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 questions, fewer filler files")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--host", help="measure a real Ollama at this URL instead")
    parser.add_argument("--model", default="", help="chat model (with --host)")
    parser.add_argument("--max-ctx", type=int, default=2048, help="ollama.max_ctx (default 2048)")
    parser.add_argument("--answer-tokens", type=int, default=48, help="num_predict per answer")
    parser.add_argument(
        "--gpu-layers",
        type=int,
        default=0,
        help="llama.cpp layers on the GPU for the built-in small model (-1 = all)",
    )
    args = parser.parse_args()

    from ollama_server import (
        SMALL_MODEL,
        FakeModel,
        OllamaServer,
        real_model_available,
        small_model_path,
    )

    questions = [q for _, _, q in TOPICS][: 5 if args.quick else 20]
    rows: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        write_corpus(folder, 20 if args.quick else 180)
        os.environ["TUIRAG_DATA_DIR"] = str(Path(tmp) / "data")
        base = make_services(Path(tmp) / "data", "http://127.0.0.1:9", "x", args.max_ctx, 1)
        report = base.indexer([folder]).sync([folder])
        chunks = base.store.count()

        def services_for(host: str, model: str) -> Services:  # shares the loaded embedder
            return make_services(
                Path(tmp) / "data", host, model, args.max_ctx, args.answer_tokens, base.embedder
            )

        with OllamaServer(reply="The sources answer this [1].") as scripted:
            rows["scripted server (HTTP path only)"] = asyncio.run(
                measure(services_for(scripted.host, "qwen2.5:7b-instruct-q4_K_M"), questions)
            )
        if args.host:
            label = f"Ollama {args.model} at {args.host}"
            rows[label] = asyncio.run(measure(services_for(args.host, args.model), questions))
        elif why := real_model_available():
            print(f"bench: real model skipped: {why}", file=sys.stderr)
        else:
            small = FakeModel(SMALL_MODEL, family="llama", context_length=8192)
            with OllamaServer([small], real_model=True, gpu_layers=args.gpu_layers) as real:
                label = "SmolLM2-135M Q4_1, llama.cpp " + ("GPU" if args.gpu_layers else "CPU")
                rows[label] = asyncio.run(measure(services_for(real.host, SMALL_MODEL), questions))
            # the same model without HTTP: tuirag's in-process llama.cpp backend
            local = services_for("http://127.0.0.1:9", SMALL_MODEL)
            local.settings.answer.backend = "llamacpp"
            local.settings.answer.gguf_path = str(small_model_path())
            local.settings.ollama.num_gpu = args.gpu_layers
            local.settings.ollama.num_thread = 2  # as the server's
            rows["same, in-process (answer.backend=llamacpp)"] = asyncio.run(
                measure(local, questions)
            )

    summary = {
        label: {key: p50(values) for key, values in data.items()} for label, data in rows.items()
    }
    meta = {
        "questions": len(questions),
        "chunks": chunks,
        "files": len(report.outcomes),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
    }
    if args.json:
        print(json.dumps({"meta": meta, "p50_ms": summary}, indent=2))
        return
    print(f"{len(questions)} questions over {chunks} chunks; p50 in ms ({meta['machine']})")
    header = (
        f"{'backend':<42} {'retrieval':>9} {'prompt':>7} {'overhead':>8} "
        f"{'model TTFT':>10} {'tok/s':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, s in summary.items():

        def f(v: float | None, width: int, digits: int = 1) -> str:
            return f"{v:>{width}.{digits}f}" if v is not None else f"{'-':>{width}}"

        print(
            f"{label:<42} {f(s['retrieval'], 9)} {f(s['prompt'], 7)} {f(s['overhead'], 8)} "
            f"{f(s['ttft'], 10)} {f(s['tps'], 7)}"
        )


if __name__ == "__main__":
    main()
