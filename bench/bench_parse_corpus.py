#!/usr/bin/env python3
"""Parse + chunk time of a whole corpus folder, per file type (no embedding).

Structure-aware parsing (PDF outlines and fonts, HTML main content) costs time per
page; this measures it on real files, e.g. the real-document eval corpus. Run it
from two checkouts (before/after) in turns and compare the best of --rounds:

    .venv/bin/python bench/bench_parse_corpus.py bench/eval/real/corpus [--rounds 3]

Chunks/s here is an upper bound of ingest throughput; the embedder is the rest
(bench_ingest.py measures the whole pipeline).
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import common

from tuirag.backends.embedder import bundled_tokenizer
from tuirag.ingest.chunker import Chunker
from tuirag.ingest.parse import parse_file
from tuirag.plugins.registry import load_registry


def main() -> int:
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    registry = load_registry({})
    chunker = Chunker(bundled_tokenizer(), 256, 50)
    files = sorted(p for p in args.corpus.rglob("*") if p.is_file())
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    chunks: dict[str, int] = defaultdict(int)
    for _ in range(max(1, args.rounds if not args.quick else 1)):
        spent: dict[str, float] = defaultdict(float)
        counted: dict[str, int] = defaultdict(int)
        for path in files:
            plugin = registry.for_path(path)
            if plugin is None:
                continue
            started = time.perf_counter()
            sections = parse_file(plugin, path)
            counted[path.suffix] += sum(1 for _ in chunker.chunk(sections))
            spent[path.suffix] += time.perf_counter() - started
        for suffix, seconds in spent.items():
            best[suffix] = min(best[suffix], seconds)
            chunks[suffix] = counted[suffix]
    print(f"\n{common.describe_machine(common.machine())}; {args.corpus}")
    rows = [[s, chunks[s], best[s], chunks[s] / best[s]] for s in sorted(best)]
    total_s, total_c = sum(best.values()), sum(chunks.values())
    rows.append(["all", total_c, total_s, total_c / total_s])
    common.report("Parse + chunk (best of rounds)", ["type", "chunks", "s", "chunks/s"], rows)
    common.write_json(args.json, {"benchmark": "parse_corpus", "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
