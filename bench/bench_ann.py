#!/usr/bin/env python3
"""Which LanceDB vector index: build time, latency and recall@10 against exact search.

Random unit vectors (the hardest case for an index: no clusters) or, with
`--real FILE`, vectors mixed from real embeddings (bench_scale.py caches them). For
each index type the same queries (stored vectors plus noise) run with a few query
settings, the store's rule among them; recall is against numpy's exact top 10 over the
same vectors. This is how the store's index (IVF-SQ, REFINE and the nprobes rule in
tuirag/backends/store.py) was chosen.

    .venv/bin/python bench/bench_ann.py [--rows 100000] [--types IVF_SQ IVF_HNSW_SQ IVF_PQ]
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import common
import numpy as np

DIM = 384


def settings(rows: int) -> list[tuple[int, int]]:
    """(nprobes, refine_factor; 0 = none): fixed ones, then the store's own rule for an
    unfiltered and for a filtered query at this size."""
    from tuirag.backends.store import REFINE, nprobes

    return [(20, 0), (20, REFINE), (40, 10), (nprobes(rows), REFINE), (nprobes(rows, True), REFINE)]


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def vectors(rows: int, real: Path | None, rng: np.random.Generator) -> np.ndarray:
    if real is None:
        return unit(rng.standard_normal((rows, DIM)))
    base = np.load(real)
    a, b = rng.integers(0, len(base), rows), rng.integers(0, len(base), rows)
    w = rng.uniform(0.6, 1.0, (rows, 1))
    return unit(w * base[a] + (1 - w) * base[b] + 0.05 * unit(rng.standard_normal((rows, DIM))))


def main() -> int:
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--types", nargs="+", default=["IVF_SQ", "IVF_HNSW_SQ", "IVF_PQ"])
    ap.add_argument("--real", type=Path, help="a .npy of real embeddings to mix from")
    args = ap.parse_args()
    import lancedb
    import pyarrow as pa

    rows = 20_000 if args.quick else args.rows
    rng = np.random.default_rng(1)
    data = vectors(rows, args.real, rng)
    picks = rng.choice(rows, args.queries, replace=False)
    queries = unit(data[picks] + 0.33 * unit(rng.standard_normal((args.queries, DIM))))
    floor: list[float] = []
    exact = []
    for q in queries:
        with common.timer() as t:
            exact.append(set(np.argpartition(-(data @ q), 10)[:10].tolist()))
        floor.append(t[0] * 1000)
    table_rows: list[list[Any]] = [
        ["numpy exact (the floor)", "", "", common.median(floor), common.percentile(floor, 95), 1.0]
    ]
    folder = Path(tempfile.mkdtemp(prefix="tuirag-bench-ann-"))
    try:
        db = lancedb.connect(str(folder))
        flat = pa.FixedSizeListArray.from_arrays(pa.array(data.reshape(-1)), DIM)
        table = db.create_table("t", pa.table({"id": pa.array(np.arange(rows)), "vector": flat}))

        def measure(label: str, build_s: Any, nprobes: int = 0, refine: int = 0) -> None:
            def search(q: np.ndarray) -> set[int]:
                query = table.search(q).distance_type("cosine").select(["id"]).limit(10)
                if nprobes:
                    query = query.nprobes(nprobes)
                if refine:
                    query = query.refine_factor(refine)
                return set(query.to_arrow().column("id").to_pylist())

            search(queries[0])  # opens the files
            times, recall = [], []
            for q, want in zip(queries, exact, strict=True):
                with common.timer() as t:
                    got = search(q)
                times.append(t[0] * 1000)
                recall.append(len(got & want) / 10)
            p50, p95 = common.median(times), common.percentile(times, 95)
            table_rows.append([label, build_s, f"{nprobes}/{refine}", p50, p95, np.mean(recall)])

        measure("LanceDB flat scan", "")
        for kind in args.types:
            with common.timer() as build:
                table.create_index(
                    metric="cosine", vector_column_name="vector", index_type=kind, replace=True
                )
            for nprobes, refine in settings(rows):
                measure(kind, round(build[0], 1), nprobes, refine)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    source = f"mixed from {args.real}" if args.real else "random unit"
    print(common.describe_machine(common.machine()))
    common.report(
        f"{rows:,} {source} vectors, {args.queries} queries (ms)",
        ["search", "build s", "nprobes/refine", "p50 ms", "p95 ms", "recall@10"],
        table_rows,
    )
    common.write_json(args.json, {"benchmark": "ann", "rows": rows, "table": table_rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
