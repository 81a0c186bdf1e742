#!/usr/bin/env python3
"""Ingest throughput per format, side by side with the bare embedder on the same chunks.

For each format of the evaluation corpus (bench/eval/make_corpus.py), and for the
whole corpus at once: index the files into a fresh temporary index with the real
pipeline (isolated parser child -> chunker -> embedder -> LanceDB -> FTS index), then
embed exactly the texts that run stored with the bare embedder. The pipeline's
chunks/s over the embedder's is the fraction of the limit the pipeline reaches;
1 - fraction is what parsing, chunking, hashing and the store cost on top.
Both sides take the best of --rounds, so another process's burst hurts neither.

The parser child is started once before timing (as in a long `tuirag ingest` or
the watcher); its start-up is reported on its own line.

    .venv/bin/python bench/bench_ingest.py [--quick] [--rounds N] [--json PATH]
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import common
import numpy as np

FORMATS = {
    ".pdf": "pdf",
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".md": "markdown",
    ".txt": "text",
    ".py": "python",
    ".go": "go",
}


class TimedEmbedder:
    """The real embedder, counting the seconds spent in embed_documents."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        with common.timer() as t:
            out = self.inner.embed_documents(texts)
        self.seconds += t[0]
        return out


class TimedParse:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def __call__(self, plugin: Any, path: Path) -> Any:
        with common.timer() as t:
            out = self.inner(plugin, path)
        self.seconds += t[0]
        return out


def stored_inputs(store: Any) -> list[str]:
    """The unique texts the pipeline embedded (its embed_input of every stored chunk)."""
    from tuirag.ingest.pipeline import embed_input

    rows = store.rows(["text", "heading"])
    return sorted({embed_input(r["heading"], r["text"]) for r in rows})


def run_pipeline(settings: Any, embedder: TimedEmbedder, parse: TimedParse, folder: Path) -> dict:
    from tuirag.evaluate import temp_services

    with temp_services(settings, embedder) as svc:  # type: ignore[arg-type]
        indexer = svc.indexer(extra_roots=[folder])
        indexer.parse = parse
        embedder.seconds = parse.seconds = 0.0
        with common.timer() as t:
            report = indexer.sync([folder])
        failed = [o for o in report.outcomes if o.status in ("failed", "skipped")]
        if failed:
            raise SystemExit(f"ingest failed for {failed[0].path}: {failed[0].reason}")
        return {
            "seconds": t[0],
            "chunks": svc.store.count(),
            "parse_s": parse.seconds,
            "embed_s": embedder.seconds,
            "texts": stored_inputs(svc.store),
        }


def main() -> int:
    ap = common.parser(__doc__.splitlines()[1])
    ap.add_argument("--rounds", type=int, default=0, help="best of N (default 3; --quick 1)")
    args = ap.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)

    from eval.make_corpus import generate

    from tuirag.backends.embedder import make_embedder
    from tuirag.config import Settings
    from tuirag.ingest.parse import IsolatedParser

    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="tuirag-bench-") as tmp:
        root = Path(tmp)
        generate(root / "corpus")
        groups: dict[str, list[Path]] = defaultdict(list)
        for path in sorted((root / "corpus").rglob("*")):
            if path.is_file():
                groups[FORMATS.get(path.suffix, path.suffix)].append(path)
        plan = list(groups.items())
        plan.append(("all", [p for files in groups.values() for p in files]))
        if args.quick:  # one isolated format, one in-process format, and the total
            plan = [(k, v) for k, v in plan if k in ("pdf", "markdown", "all")]

        embedder = make_embedder(settings.embedder, settings.ollama, root / "models")
        embedder.embed_documents(["warm-up"] * 16)
        parse = TimedParse(IsolatedParser(settings.parsing.timeout_s, settings.parsing.memory_mb))
        timed = TimedEmbedder(embedder)
        from tuirag.plugins.registry import load_registry

        registry = load_registry(settings.plugins)
        pdf = groups["pdf"][0]
        with common.timer() as start_up:
            parse(registry.for_path(pdf), pdf)  # starts the parser child

        results = []
        for fmt, files in plan:
            folder = root / f"only-{fmt}"
            for path in files:
                target = folder / path.relative_to(root / "corpus")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            best: dict[str, Any] = {}
            bare = float("inf")
            for _ in range(rounds):
                run = run_pipeline(settings, timed, parse, folder)
                if not best or run["seconds"] < best["seconds"]:
                    best = run
                with common.timer() as t:
                    embedder.embed_documents(run["texts"])
                bare = min(bare, t[0])
            size = sum(p.stat().st_size for p in files)
            results.append(
                {
                    "format": fmt,
                    "files": len(files),
                    "mb": size / 2**20,
                    "chunks": best["chunks"],
                    "pipeline_s": best["seconds"],
                    "parse_s": best["parse_s"],
                    "embed_s": best["embed_s"],
                    "embedder_s": bare,
                    "unique_texts": len(best["texts"]),
                }
            )
            print(
                f"{fmt}: {best['chunks']} chunks, pipeline {best['seconds']:.1f}s, "
                f"embedder {bare:.1f}s",
                flush=True,
            )

    rows = []
    for r in results:
        rate = r["chunks"] / r["pipeline_s"]
        limit = r["chunks"] / r["embedder_s"]
        r.update(
            chunks_per_s=rate,
            mb_per_s=r["mb"] / r["pipeline_s"],
            embedder_chunks_per_s=limit,
            fraction_of_limit=rate / limit,
        )
        other = r["pipeline_s"] - r["parse_s"] - r["embed_s"]
        rows.append(
            [
                r["format"],
                r["files"],
                round(r["mb"] * 1024),
                r["chunks"],
                rate,
                limit,
                f"{rate / limit:.0%}",
                r["mb"] / r["pipeline_s"] * 1024,
                r["parse_s"],
                r["embed_s"],
                other,
            ]
        )
    info = common.machine()
    print(
        f"\n{common.describe_machine(info)}; best of {rounds}; parser child start-up "
        f"{start_up[0]:.2f}s (paid once per run, not in the figures)"
    )
    common.report(
        "Ingest throughput vs the bare embedder (same chunks, same run)",
        [
            "format",
            "files",
            "KB",
            "chunks",
            "pipeline chunks/s",
            "embedder chunks/s",
            "fraction of limit",
            "KB/s",
            "parse s",
            "embed s",
            "other s",
        ],
        rows,
    )
    common.write_json(
        args.json,
        {
            "benchmark": "ingest",
            "rounds": rounds,
            "parser_start_s": start_up[0],
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
