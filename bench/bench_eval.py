#!/usr/bin/env python3
"""Retrieval quality of the defaults and of their alternatives, on the public eval set.

The evidence behind the chunking and search defaults. For each chunking setting
(max_tokens / overlap) the eval corpus (bench/eval) is indexed once into a temporary
index; every question is then asked in vector, fts and hybrid mode, and in hybrid
mode again with other RRF constants and other weights of BM25 against the vectors.
Tables: chunking, per kind and mode, per language, RRF constant, fusion weight,
and recall at each k (for top_k).

    .venv/bin/python bench/bench_eval.py [--quick] [--json PATH]
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import common

CHUNKINGS = [(128, 0), (128, 32), (256, 0), (256, 32), (256, 50)]
RRF_KS = [10, 20, 30, 60]
REAL = Path(__file__).resolve().parent / "eval" / "real"
BM25_WEIGHTS = [1, 1.5, 2]


def scores(outcomes: list, mode: str) -> dict[str, Any]:
    """Rows of EvalReport keyed by group, for one mode label."""
    from tuirag.evaluate import EvalReport

    report = EvalReport([o for o in outcomes if o.mode == mode], [mode], depth=10)
    return {row.group: row.scores for row in report.rows()}


def main() -> int:
    ap = common.parser(__doc__.splitlines()[1])
    ap.add_argument(
        "--set",
        choices=["generated", "real"],
        default="generated",
        help="generated: bench/eval (made by make_corpus.py); real: bench/eval/real "
        "(Debian-packaged documents, built by bench/eval/real/build_corpus.py)",
    )
    ap.add_argument(
        "--cache",
        type=Path,
        metavar="SQLITE",
        help="keep vectors by text in this file across runs (quality only: hides embed time)",
    )
    args = ap.parse_args()

    from eval.make_corpus import QUESTIONS, generate

    from tuirag.backends.embedder import make_embedder
    from tuirag.config import Settings
    from tuirag.evaluate import ask_all, load_questions, temp_index
    from tuirag.search.retrieval import Retriever

    defaults = Settings()
    questions = load_questions(REAL / "questions.jsonl" if args.set == "real" else QUESTIONS)
    chunkings = (
        [(defaults.chunking.max_tokens, defaults.chunking.overlap_tokens)]
        if args.quick
        else CHUNKINGS
    )
    results: dict[str, Any] = {"questions": len(questions), "configs": []}
    with tempfile.TemporaryDirectory(prefix="tuirag-bench-eval-") as tmp:
        if args.set == "real":
            corpus = REAL / "corpus"
            if not corpus.is_dir():
                ap.error("no real corpus: run bench/eval/real/build_corpus.py first")
        else:
            corpus = Path(tmp) / "corpus"
            generate(corpus)
        embedder = make_embedder(defaults.embedder, defaults.ollama, Path(tmp) / "models")
        if args.cache:
            embedder = common.CachedEmbedder(embedder, args.cache)
        for max_tokens, overlap in chunkings:
            settings = Settings()
            settings.chunking.max_tokens, settings.chunking.overlap_tokens = max_tokens, overlap
            with temp_index(settings, corpus, embedder) as (svc, ingest):
                outcomes = ask_all(svc.retriever, questions, corpus, ["vector", "fts", "hybrid"])
                weight = defaults.search.bm25_weight
                model = lambda: embedder  # noqa: E731 - Retriever asks for its model lazily
                variants: list[tuple[str, Any]] = [
                    (f"hybrid rrf_k={k}", Retriever(svc.store, model, k, weight)) for k in RRF_KS
                ]
                variants += [
                    (f"hybrid bm25 x{w}", Retriever(svc.store, model, defaults.search.rrf_k, w))
                    for w in BM25_WEIGHTS
                ]
                variants += [  # score-aware fusion (search.fusion = "relative")
                    (f"hybrid relative x{w}", Retriever(svc.store, model, 0, w, "relative"))
                    for w in (0.5, 1)
                ]
                for label, retriever in variants:
                    outcomes += [
                        replace(o, mode=label)
                        for o in ask_all(retriever, questions, corpus, ["hybrid"])
                    ]
                # language-aware policy: BM25 alone for Chinese (the model is English-only)
                outcomes += [
                    replace(o, mode="hybrid, zh->fts")
                    for o in outcomes
                    if (o.mode == "hybrid" and o.question.lang == "en")
                    or (o.mode == "fts" and o.question.lang == "zh")
                ]
                modes = list(dict.fromkeys(o.mode for o in outcomes))  # first-seen order
                results["configs"].append(
                    {
                        "max_tokens": min(max_tokens, embedder.max_tokens),
                        "overlap": overlap,
                        "chunks": svc.store.count(),
                        "ingest_s": ingest.seconds,
                        "scores": {m: scores(outcomes, m) for m in modes},
                    }
                )
                print(
                    f"chunks <= {max_tokens} overlap {overlap}: {svc.store.count()} chunks",
                    flush=True,
                )

    print(f"\n{common.describe_machine(common.machine())}; {len(questions)} questions")
    configs = results["configs"]
    common.report(
        "Chunking (recall@5 per mode; hybrid MRR)",
        [
            "max tokens / overlap",
            "chunks",
            "vector R@5",
            "fts R@5",
            "hybrid R@1",
            "hybrid R@5",
            "hybrid MRR",
        ],
        [
            [
                f"{c['max_tokens']} / {c['overlap']}",
                c["chunks"],
                c["scores"]["vector"]["all"].recall[5],
                c["scores"]["fts"]["all"].recall[5],
                c["scores"]["hybrid"]["all"].recall[1],
                c["scores"]["hybrid"]["all"].recall[5],
                c["scores"]["hybrid"]["all"].mrr,
            ]
            for c in configs
        ],
    )
    default = (
        min(defaults.chunking.max_tokens, embedder.max_tokens),
        defaults.chunking.overlap_tokens,
    )
    chosen = next((c for c in configs if (c["max_tokens"], c["overlap"]) == default), configs[-1])
    s = chosen["scores"]
    label = f"chunks <= {chosen['max_tokens']} tokens, overlap {chosen['overlap']}"
    groups = [
        "all",
        "kind:pdf",
        "kind:table",
        "kind:code",
        "kind:doc",
        "lang:en",
        "lang:zh",
        "style:paraphrase",
        "style:exact",
        "style:table",
        "style:colloquial",
    ]
    for metric, name in ((lambda x: x.recall[5], "recall@5"), (lambda x: x.mrr, "MRR")):
        common.report(
            f"{name} per group and mode ({label})",
            ["group", "n", *s.keys()],
            [
                [g, s["hybrid"][g].n, *(metric(s[m][g]) for m in s)]
                for g in groups
                if g in s["hybrid"]
            ],
        )
    common.report(
        f"Recall at k, hybrid ({label})",
        ["mode", "R@1", "R@3", "R@5", "R@10", "MRR"],
        [[m, *(s[m]["all"].recall[k] for k in (1, 3, 5, 10)), s[m]["all"].mrr] for m in s],
    )
    for c in configs:  # Scores are dataclasses; JSON wants plain numbers
        c["scores"] = {
            m: {
                g: {"n": v.n, **{f"recall@{k}": r for k, r in v.recall.items()}, "mrr": v.mrr}
                for g, v in by_group.items()
            }
            for m, by_group in c["scores"].items()
        }
    common.write_json(args.json, {"benchmark": "eval", **results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
