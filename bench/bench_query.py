#!/usr/bin/env python3
"""Retrieval latency at 10k, 100k and 1M chunks, with and without a vector index, and RSS.

Synthetic chunks go straight through Store.add_chunks in batches: random unit
vectors of the default model's size (384) and texts of Zipf-distributed made-up
words, so BM25 sees realistic posting lists. Query vectors are stored vectors
with noise added, so each has a known true neighbour.

Each size runs three child processes over one index folder, so every memory
figure belongs to a process that only did that job:
  write    add the chunks in batches (rows/s)
  flat     vector search without a vector index (exact), and numpy brute force over
           the same vectors in memory (the floor); then Store.optimize(), which
           builds the FTS index and, from VECTOR_INDEX_MIN_ROWS, the IVF-SQ index
  indexed  a fresh reader, as `tuirag search` or the TUI: vector search (with the
           index where there is one) and its recall@10 against the exact results,
           the same under --path filters (recall among the filtered rows),
           full-text search, and hybrid (RRF) search

With `--keep DIR` each size's index stays in DIR/<size> with the figures of its
write and flat phases; a later run with the same DIR reuses it and only queries
(building 1M rows takes minutes of CPU).

    .venv/bin/python bench/bench_query.py [--quick] [--sizes 10000 100000] [--keep DIR]
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import common
import numpy as np

DIM = 384
BATCH = 25_000
WORDS_PER_CHUNK = 40
VOCAB = 30_000
SEED = 20251125
FLAT_QUERIES = 5  # LanceDB's exact scan at 1M takes ~12 s a query


def vocabulary(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    syllables = [c + v for c in "bdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
    words = sorted(
        {"".join(rng.choice(syllables, size=rng.integers(2, 5))) for _ in range(VOCAB * 2)}
    )
    words = [words[i] for i in rng.permutation(len(words))[:VOCAB]]
    weights = 1.0 / np.arange(1, len(words) + 1) ** 1.05  # Zipf: a few very common words
    return words, weights / weights.sum()


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def queries(size: int, n: int) -> tuple[np.ndarray, list[int]]:
    """Indices of stored rows and noisy copies of their vectors (cosine ~0.95 to the source)."""
    rng = np.random.default_rng(SEED + 1)
    ids = sorted(rng.choice(size, size=n, replace=False).tolist())
    sources = np.stack([row_vector(i) for i in ids])
    return unit(sources + 0.33 * unit(rng.standard_normal((n, DIM)))), ids


def row_vector(i: int) -> np.ndarray:
    """The vector of row i, reproducible without keeping 1M vectors around."""
    batch, offset = divmod(i, BATCH)
    return batch_vectors(batch)[offset]


_cache: dict[int, np.ndarray] = {}


def batch_vectors(batch: int) -> np.ndarray:
    if batch not in _cache:
        _cache.clear()
        _cache[batch] = unit(np.random.default_rng([SEED, batch]).standard_normal((BATCH, DIM)))
    return _cache[batch]


def open_store(folder: Path) -> Any:
    from tuirag.backends.store import Store

    return Store(folder, "bench-synthetic-384", DIM)


def phase_write(folder: Path, size: int) -> dict[str, Any]:
    from tuirag.backends.store import path_key

    store = open_store(folder)
    words, weights = vocabulary(np.random.default_rng(SEED))
    text_rng = np.random.default_rng(SEED + 2)
    seconds = 0.0
    for batch in range((size + BATCH - 1) // BATCH):
        n = min(BATCH, size - batch * BATCH)
        vectors = batch_vectors(batch)[:n]
        picks = text_rng.choice(len(words), size=(n, WORDS_PER_CHUNK), p=weights)
        rows = []
        for j in range(n):
            i = batch * BATCH + j
            path = f"/synthetic/{i // 40:06d}.md"
            text = " ".join(words[w] for w in picks[j])
            rows.append(
                common.synthetic_chunk(f"{i:024x}", path, path_key(path), i % 40, text, vectors[j])
            )
        with common.timer() as t:
            store.add_chunks(rows)
        seconds += t[0]
    return {"rows": store.count(), "write_s": seconds, "write_rows_per_s": size / seconds}


def latencies(run: Any, items: list[Any]) -> tuple[list[float], list[Any]]:
    run(items[0])  # first call opens files; not a steady-state figure
    times, results = [], []
    for item in items:
        with common.timer() as t:
            results.append(run(item))
        times.append(t[0] * 1000)
    return times, results


def latency(figures: dict[str, float]) -> list[float]:
    return [figures["p50_ms"], figures["p95_ms"]]


def summary(times: list[float]) -> dict[str, float]:
    return {"p50_ms": common.median(times), "p95_ms": common.percentile(times, 95), "n": len(times)}


def phase_flat(folder: Path, size: int, n_queries: int) -> dict[str, Any]:
    """Exact search: LanceDB's flat scan (timed on at most FLAT_QUERIES at 1M: seconds
    each) and numpy over the same vectors, whose top 10 is the truth for recall."""
    from tuirag.backends.store import VECTOR_INDEX_MIN_ROWS

    store = open_store(folder)
    qs, ids = queries(size, n_queries)
    flat_n = FLAT_QUERIES if size >= 1_000_000 else n_queries
    times, _ = latencies(lambda q: store.vector_search(q, 10), list(qs[:flat_n]))
    rss = common.rss_mib()
    floor, exact = numpy_search(size, qs)
    self_hit = sum(e[0] == f"{i:024x}" for e, i in zip(exact, ids, strict=True)) / len(ids)
    with common.timer() as t:
        store.optimize()
    (folder / "exact.json").write_text(json.dumps(exact))
    return {
        "numpy_floor": summary(floor),
        "vector_flat": summary(times),
        "rss_flat_mib": rss,
        "self_hit_flat": self_hit,
        "optimize_s": t[0],
        "vector_index": size >= VECTOR_INDEX_MIN_ROWS,
    }


def numpy_search(size: int, qs: np.ndarray) -> tuple[list[float], list[list[str]]]:
    """Brute force over all vectors in memory: the floor's times and the exact top 10s."""
    matrix = np.concatenate([batch_vectors(b) for b in range((size + BATCH - 1) // BATCH)])[:size]
    times, tops = latencies(lambda q: top10(matrix @ q), list(qs))
    return times, [[f"{i:024x}" for i in top] for top in tops]


def top10(scores: np.ndarray) -> list[int]:
    """Row numbers of the 10 highest scores, best first (numpy's exact search)."""
    top = np.argpartition(-scores, 10)[:10]
    return top[np.argsort(-scores[top])].tolist()


# --path filters over the first files (row i is chunk i % 40 of file i // 40)
FILTERS = [
    ("one file (40 chunks)", "/synthetic/000007.md", range(280, 320)),
    ("100 files (4,000 chunks)", "/synthetic/0000*", range(0, 4000)),
]


def filtered_search(store: Any, qs: np.ndarray, glob: str, rows: range) -> dict[str, Any]:
    """Vector search under a --path filter: latency and recall@10 against the exact
    top 10 among the filtered rows (the query's own neighbours lie elsewhere)."""
    from tuirag.search.filters import SearchFilter

    where = SearchFilter(path=glob).sql()
    times, results = latencies(lambda q: store.vector_search(q, 10, where=where), list(qs))
    inside = batch_vectors(0)[rows.start : rows.stop]
    recall = [
        len({h.chunk_id for h in hits} & {f"{rows.start + i:024x}" for i in top10(inside @ q)}) / 10
        for q, hits in zip(qs, results, strict=True)
    ]
    return {**summary(times), "recall": float(np.mean(recall)), "min_recall": min(recall)}


class PresetEmbedder:
    """Hands the retriever the prepared query vectors (the model's cost is measured apart)."""

    multilingual = False

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = list(vectors)
        self.i = 0

    def embed_query(self, text: str) -> np.ndarray:
        self.i += 1
        return self.vectors[self.i % len(self.vectors)]


def phase_indexed(folder: Path, size: int, n_queries: int, shares: list[float]) -> dict[str, Any]:
    import tuirag.backends.store as store_module
    from tuirag.search.retrieval import Retriever

    store = open_store(folder)
    rss_open = common.rss_mib()
    qs, ids = queries(size, n_queries)
    exact = json.loads((folder / "exact.json").read_text())

    def vector_recall() -> tuple[list[float], float, list[list[str]]]:
        times, results = latencies(lambda q: store.vector_search(q, 10), list(qs))
        found = [[h.chunk_id for h in hits] for hits in results]
        pairs = zip(found, exact, strict=True)
        return times, float(np.mean([len(set(f) & set(e)) / len(e) for f, e in pairs])), found

    sweep = []
    default = store_module.PROBE_SHARE
    for share in shares:
        store_module.PROBE_SHARE = share
        times, recall, _ = vector_recall()
        nprobes = store_module.nprobes(store.indexed_rows())
        sweep.append({"share": share, "nprobes": nprobes, "recall": recall, **summary(times)})
    store_module.PROBE_SHARE = default
    times, recall, found = vector_recall()
    self_hit = sum(f[:1] == [f"{i:024x}"] for f, i in zip(found, ids, strict=True)) / len(ids)
    filtered = {label: filtered_search(store, qs, glob, rows) for label, glob, rows in FILTERS}
    words, _ = vocabulary(np.random.default_rng(SEED))
    rng = np.random.default_rng(SEED + 3)
    mid = np.arange(200, 5000)  # neither stop-word-common nor absent
    texts = [" ".join(words[w] for w in rng.choice(mid, size=3)) for _ in range(n_queries)]
    fts_times, _ = latencies(lambda q: store.text_search(q, 10), texts)
    preset = PresetEmbedder(qs)
    retriever = Retriever(store, lambda: preset, rrf_k=60)  # type: ignore[arg-type,return-value]
    hybrid_times, _ = latencies(lambda q: retriever.search(q, 10, "hybrid"), texts)
    return {
        "vector": summary(times),
        "ann_recall_at_10": recall,
        "self_hit_at_1": self_hit,
        "filtered": filtered,
        "share_sweep": sweep,
        "fts": summary(fts_times),
        "hybrid": summary(hybrid_times),
        "rss_query_mib": common.rss_mib(),
        "rss_open_mib": rss_open,
        "disk_mb": store.disk_bytes() / 2**20,
    }


def child(argv: list[str]) -> int:
    phase, folder, size, n = argv[0], Path(argv[1]), int(argv[2]), int(argv[3])
    shares = [float(x) for x in argv[4:]]
    run = {
        "write": lambda: phase_write(folder, size),
        "flat": lambda: phase_flat(folder, size, n),
        "indexed": lambda: phase_indexed(folder, size, n, shares),
    }[phase]
    out = run()
    out["peak_rss_mib"] = common.peak_rss_mib()
    print(json.dumps(out))
    return 0


def in_child(
    phase: str, folder: Path, size: int, n: int, shares: list[float] | None = None
) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--phase", phase, str(folder), str(size), str(n)]
        + [str(x) for x in shares or []],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise SystemExit(f"{phase} phase at {size} rows failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def built(folder: Path, size: int, n: int) -> dict[str, Any]:
    """The write and flat phases' figures: measured now, or those of a kept index."""
    saved = folder / "built.json"
    if saved.exists():
        kept = len(json.loads((folder / "exact.json").read_text()))
        if kept != n:
            raise SystemExit(f"{folder} was built for --queries {kept}: use that or a new --keep")
        return dict(json.loads(saved.read_text()))
    figures = {
        "write": in_child("write", folder, size, n),
        "flat": in_child("flat", folder, size, n),
    }
    saved.write_text(json.dumps(figures))
    return figures


def query_embedding_ms(n: int = 30) -> dict[str, float]:
    """The real model's cost per query, which every vector and hybrid search adds."""
    from tuirag.backends.embedder import make_embedder
    from tuirag.config import Settings

    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        embedder = make_embedder(settings.embedder, settings.ollama, Path(tmp))
        questions = [f"which warehouse holds the most sensing caps, case {i}?" for i in range(n)]
        times, _ = latencies(embedder.embed_query, questions)
    return summary(times)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        return child(sys.argv[2:])
    ap = common.parser(__doc__.splitlines()[1])
    ap.add_argument("--sizes", type=int, nargs="+", help="rows (default 10k 100k 1M; --quick 10k)")
    ap.add_argument("--queries", type=int, default=50, help="queries per measurement")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="keep (or reuse) the indexes here")
    ap.add_argument("--shares", type=float, nargs="*", default=[], help="probe shares to sweep")
    args = ap.parse_args()
    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000, 1_000_000])
    results = []
    for size in sizes:
        with contextlib.ExitStack() as stack:
            if args.keep:
                folder = args.keep / str(size)
            else:
                tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="tuirag-bench-query-"))
                folder = Path(tmp) / "index"
            res: dict[str, Any] = {"size": size, **built(folder, size, args.queries)}
            res["indexed"] = in_child("indexed", folder, size, args.queries, args.shares)
            results.append(res)
            print(f"{size:,} rows done: {json.dumps(res)}", file=sys.stderr, flush=True)
    embed = query_embedding_ms()

    rows = []
    for r in results:
        f, x, n = r["flat"], r["indexed"], f"{r['size']:,}"
        rows.append(
            [
                n,
                "vector, no index",
                *latency(f["vector_flat"]),
                "1.00 (exact)",
                f"{f['self_hit_flat']:.2f}",
                f["rss_flat_mib"],
            ]
        )
        rows.insert(
            len(rows) - 1,
            [n, "numpy brute force (the floor)", *latency(f["numpy_floor"]), "1.00", "", ""],
        )
        kind = "IVF-SQ" if f["vector_index"] else "flat"
        if f["vector_index"]:
            rows.append(
                [
                    n,
                    "vector, IVF-SQ index + exact re-rank",
                    *latency(x["vector"]),
                    f"{x['ann_recall_at_10']:.2f}",
                    f"{x['self_hit_at_1']:.2f}",
                    x["rss_query_mib"],
                ]
            )
        for label, fx in x["filtered"].items():
            recall = f"{fx['recall']:.2f} (min {fx['min_recall']:.1f})"
            rows.append([n, f"vector, --path {label}", *latency(fx), recall, "", ""])
        rows.append([n, "full text (BM25)", *latency(x["fts"]), "", "", x["rss_query_mib"]])
        rows.append(
            [n, f"hybrid ({kind} vector + BM25)", *latency(x["hybrid"]), "", "", x["rss_query_mib"]]
        )
    print(f"\n{common.describe_machine(common.machine())}")
    common.report(
        "Search latency (ms, model time excluded) and reader RSS",
        [
            "chunks",
            "search",
            "p50 ms",
            "p95 ms",
            "recall@10 vs exact",
            "true neighbour @1",
            "RSS MiB",
        ],
        rows,
    )
    common.report(
        "Building the index",
        [
            "chunks",
            "write rows/s",
            "optimize s (FTS + vector index)",
            "disk MB",
            "reader RSS before the first query, MiB",
            "writer peak RSS MiB",
        ],
        [
            [
                f"{r['size']:,}",
                r["write"]["write_rows_per_s"],
                r["flat"]["optimize_s"],
                r["indexed"]["disk_mb"],
                r["indexed"]["rss_open_mib"],
                r["write"]["peak_rss_mib"],
            ]
            for r in results
        ],
    )
    sweep = [
        [f"{r['size']:,}", x["share"], x["nprobes"], *latency(x), f"{x['recall']:.2f}"]
        for r in results
        for x in r["indexed"]["share_sweep"]
    ]
    if sweep:
        common.report(
            "Share of the IVF partitions probed (random vectors)",
            ["chunks", "share", "nprobes", "p50 ms", "p95 ms", "recall@10 vs exact"],
            sweep,
        )
    print(
        f"\nquery embedding (real model, added to vector and hybrid searches): "
        f"p50 {embed['p50_ms']:.1f} ms, p95 {embed['p95_ms']:.1f} ms"
    )
    common.write_json(
        args.json, {"benchmark": "query", "results": results, "query_embedding": embed}
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
