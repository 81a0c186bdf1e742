#!/usr/bin/env python3
"""Scale: keyword-first freshness, memory of ingest / no-op re-ingest / idle watch,
reconcile of a big tree, and ANN recall on real vectors.

Parts (each in its own child process, so every peak RSS belongs to one job):
  fresh     a folder of new Markdown files through the real pipeline: seconds until
            every file is full-text searchable (keyword phase), then until every
            chunk has its vector, against the bare embedder on the same texts
  ingest    peak RSS of `tuirag ingest` on that folder (model, parser child excluded)
  watch     RSS of `tuirag watch` over that index (the watcher and any indexing process
            it runs, summed), idle for 45 s after its scan and vectors; while it embeds
            one new file; idle 45 s after that; and seconds from saving that file to its
            "indexed" line (with nothing running: the indexing process starts first)
  noop      peak RSS and seconds of a no-op `tuirag ingest` over synthetic indexes of
            growing size (files on disk whose records match, random vectors): what a
            restart or periodic reconcile costs; the biggest is the 100k-file tree
  recall    recall@10 of the ANN index against exact search on real embeddings
            (chunks of /usr/share/doc embedded with the bundled model, cached in
            --vectors) and on a set of --mixed N vectors blended from them (--mix,
            --noise; --keep DIR reuses its index: 1M takes minutes), for each
            --shares of the partitions probed

With `--baseline PYTHON` (another checkout's interpreter) `ingest` and `watch` also
run that checkout, paired, for ratios.

    .venv/bin/python bench/bench_scale.py [--quick] [--baseline PYTHON] [--rounds N] [--json PATH]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import common
import numpy as np

DIM = 384
REAL_VECTORS = Path(tempfile.gettempdir()) / "tuirag-bench-real-vectors.npy"


# ---- helpers ------------------------------------------------------------------


def env_for(folder: Path) -> dict[str, str]:
    return dict(
        os.environ,
        BENCH_CWD=str(folder),
        TUIRAG_DATA_DIR=str(folder / "data"),
        TUIRAG_CONFIG=str(folder / "config.toml"),
        OLLAMA_HOST="http://127.0.0.1:9",
    )


def corpus(folder: Path, files: int) -> Path:
    """Markdown files of distinct sentences (2-3 chunks each with the bundled model)."""
    docs = folder / "docs"
    docs.mkdir(parents=True)
    rng = np.random.default_rng(7)
    words = [f"w{n}" for n in range(5000)]
    for i in range(files):
        parts = [f"# Document {i}"]
        for s in range(3):
            body = " ".join(rng.choice(words, size=120))
            parts.append(f"## Part {s}\n\nDocument {i} part {s} says {body}.")
        (docs / f"doc{i:05d}.md").write_text("\n\n".join(parts) + "\n")
    (folder / "config.toml").write_text(f'[index]\nfolders = ["{docs}"]\n')
    return docs


# Runs `tuirag ARGS` and reports the process's own peak (VmHWM) last on stderr. Not
# ru_maxrss: Linux carries a parent's RSS at fork into the child's across exec.
MEASURED = """
import atexit, sys
from tuirag.cli.main import main
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write(f"\\nVmHWM {int(line.split()[1])}\\n")
atexit.register(hwm)
sys.exit(main(sys.argv[1:]))
"""


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of `python -m tuirag ARGS` (its own children excluded)."""
    python, args = argv[0], argv[3:]  # [python, "-m", "tuirag", *args]
    started = time.perf_counter()
    # not in the checkout: `python -c` would import the checkout it runs in
    proc = subprocess.run(
        [python, "-c", MEASURED, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=env["BENCH_CWD"],
    )
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1) or "VmHWM" not in proc.stderr:
        raise SystemExit(f"{argv} failed: {proc.stderr[-2000:]}")
    return seconds, int(proc.stderr.rsplit("VmHWM", 1)[1].split()[0]) / 1024


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mib(pid: int) -> float:
    """RSS of `pid` and its descendants (shared pages counted in each: an upper bound)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    tree = {pid}
    while grown := {p for p, parent in parents.items() if parent in tree} - tree:
        tree |= grown
    total = 0.0
    for member in tree:
        try:
            total += rss_mib(member)
        except OSError:
            continue  # ended meanwhile
    return total


# ---- fresh: keyword first, vectors after ----------------------------------------


def part_fresh(files: int) -> dict[str, Any]:
    from tuirag.config import Settings
    from tuirag.services import Services

    with tempfile.TemporaryDirectory(prefix="tuirag-bench-scale-") as tmp:
        folder = Path(tmp)
        docs = corpus(folder, files)
        settings = Settings()
        settings.index.data_dir = str(folder / "data")
        svc = Services(settings)
        indexer = svc.indexer([docs])
        with common.timer() as keyword:
            report = indexer.sync([docs], embed=False)
        with common.timer() as vectors:
            embedded = indexer.embed_pending()
        texts = [h.text for p in sorted(docs.iterdir()) for h in svc.store.chunk_neighbours(str(p))]
        with common.timer() as bare:
            svc.embedder.embed_documents(texts)
        return {
            "files": files,
            "chunks": report.chunks,
            "keyword_s": keyword[0],
            "vectors_s": vectors[0],
            "embedded": embedded,
            "bare_embedder_s": bare[0],
        }


# ---- ingest and watch memory ------------------------------------------------------


def part_memory(python: str, files: int, label: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tuirag-bench-scale-") as tmp:
        folder = Path(tmp)
        docs = corpus(folder, files)
        env = env_for(folder)
        if python != sys.executable:  # the baseline runs its own checkout's code
            env.pop("PYTHONPATH", None)
        seconds, peak = run_measured([python, "-m", "tuirag", "ingest", "-q", str(docs)], env)
        noop_s, noop_peak = run_measured([python, "-m", "tuirag", "ingest", "-q", str(docs)], env)
        watch = subprocess.Popen(
            [python, "-m", "tuirag", "watch"],
            env=env,
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert watch.stdout is not None
            wait_until_embedded(watch.stdout, files)
            time.sleep(45)  # idle: nothing changes (the indexing process ends after 30 s)
            idle = tree_rss_mib(watch.pid)
            # then a new file: indexed and embedded, then idle again
            saved = time.perf_counter()
            (docs / "new.md").write_text("# New\n\nA quokka note the watcher embeds.\n")
            next(line for line in watch.stdout if "indexed " in line and "new.md" in line)
            change_s = time.perf_counter() - saved
            wait_until_embedded(watch.stdout, files + 1)
            busy = tree_rss_mib(watch.pid)
            time.sleep(45)
            idle_after = tree_rss_mib(watch.pid)
        finally:
            watch.terminate()
            watch.wait(30)
        return {
            "checkout": label,
            "ingest_s": seconds,
            "ingest_peak_mib": peak,
            "noop_s": noop_s,
            "noop_peak_mib": noop_peak,
            "watch_idle_mib": idle,
            "watch_busy_mib": busy,
            "watch_idle_after_embed_mib": idle_after,
            "watch_change_s": change_s,
        }


def wait_until_embedded(log: Iterable[str], files: int) -> None:
    """Read `tuirag watch`'s log until it says `files` files are up to date, every vector in."""
    for line in log:
        if f"up to date: {files} files" in line and "embedded" not in line:
            return
    raise SystemExit("tuirag watch stopped before its index was up to date")


# ---- no-op re-ingest over synthetic indexes ---------------------------------------


def part_noop(files: int, per_file: int) -> dict[str, Any]:
    """A synthetic index whose records match files on disk, then a no-op ingest."""
    from tuirag.backends.store import FileRecord, Store, path_key
    from tuirag.config import Settings
    from tuirag.services import Services

    with tempfile.TemporaryDirectory(prefix="tuirag-bench-noop-") as tmp:
        folder = Path(tmp)
        docs = folder / "docs"
        (folder / "config.toml").write_text(f'[index]\nfolders = ["{docs}"]\n')
        settings = Settings()
        settings.index.data_dir = str(folder / "data")
        svc = Services(settings)
        indexer = svc.indexer([folder])
        store: Store = svc.store
        version = indexer.parser_version("markdown")
        rng = np.random.default_rng(3)
        records, rows = [], []
        for i in range(files):
            path = docs / f"d{i // 1000:03d}" / f"f{i:06d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"# File {i}\n")
            st = path.stat()
            records.append(
                FileRecord(
                    str(path), st.st_size, st.st_mtime_ns, f"{i:032x}", "ok", "", per_file,
                    "markdown", version,
                )
            )  # fmt: skip
            vectors = rng.standard_normal((per_file, DIM)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            for n in range(per_file):
                rows.append(synthetic_row(str(path), path_key(str(path)), i, n, vectors[n]))
            if len(rows) >= 20_000 or i == files - 1:
                store.add_chunks(rows)
                store.put_files(records)
                rows, records = [], []
        store.optimize()
        chunks = store.count()
        del store, svc, indexer
        seconds, peak = run_measured(
            [sys.executable, "-m", "tuirag", "ingest", "-q", str(docs)], env_for(folder)
        )
        return {"files": files, "chunks": chunks, "noop_s": seconds, "noop_peak_mib": peak}


def synthetic_row(path: str, key: str, i: int, n: int, vector: np.ndarray) -> dict[str, Any]:
    text = f"file {i} chunk {n} synthetic words"
    return common.synthetic_chunk(
        f"{i:012x}{n:012x}", path, key, n, text, vector, file_hash=f"{i:032x}", plugin="markdown"
    )


# ---- ANN recall on real vectors ------------------------------------------------------


def real_vectors(path: Path, n: int) -> np.ndarray:
    """Chunks of /usr/share/doc text embedded with the bundled model (cached: slow on CPU)."""
    if path.exists():
        return np.load(path)
    import gzip

    from tuirag.backends.embedder import make_embedder
    from tuirag.config import Settings
    from tuirag.ingest.chunker import Chunker
    from tuirag.types import Section

    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        embedder = make_embedder(settings.embedder, settings.ollama, Path(tmp))
        chunker = Chunker(embedder.tokenizer, 256, 50)
        texts: list[str] = []
        for f in sorted(Path("/usr/share/doc").rglob("*")):
            if len(texts) >= n:
                break
            if f.is_symlink() or not f.is_file() or f.suffix not in (".gz", ".txt", ".md", ""):
                continue
            try:
                raw = gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes()
                text = raw.decode("utf-8")
            except (OSError, ValueError, EOFError):
                continue
            texts += [c.text for c in chunker.chunk([Section(text)]) if len(c.text) > 80]
        vectors = embedder.embed_documents(sorted(set(texts))[:n])
    np.save(path, vectors)
    return vectors


def part_recall(
    vectors_file: Path,
    n_real: int,
    mixed: int,
    mix: str,
    noise: float,
    queries: int,
    keep: str | None,
    shares: list,
) -> list[dict]:
    """Recall@10 of Store.vector_search (the ANN index) against numpy's exact top 10,
    for each share of partitions probed (None: the store's PROBE_SHARE)."""
    real = real_vectors(vectors_file, n_real)
    rng = np.random.default_rng(11)
    pick = rng.choice(len(real), size=min(queries, len(real) // 10), replace=False)
    keep_rows = np.ones(len(real), bool)
    keep_rows[pick] = False
    q, base = real[pick], real[keep_rows]
    sets = [("real", base, None)]
    if mixed:
        name = f"{mix}, noise {noise}"
        folder = Path(keep) / f"{mix}-{noise}-{mixed}" if keep else None
        sets.append((f"mixed from real ({name})", mixed_from(base, mixed, rng, mix, noise), folder))
    return [
        run
        for label, vectors, folder in sets
        for run in recall_on(label, vectors, q, folder, shares)
    ]


def mixed_from(
    base: np.ndarray, rows: int, rng: np.random.Generator, mix: str, noise: float
) -> np.ndarray:
    """`rows` vectors with the real ones' structure: the real vectors, then blends of
    one real vector `a` (60-100 %) with another `b`, plus Gaussian noise of length
    `noise`, renormalised. `pairs`: b is any real vector (each real one gets ~360 close copies:
    tight clusters, the easy case); `neighbours`: b is one of a's 10 nearest real
    vectors, so the blends fill in the space between neighbouring real chunks, as a
    bigger corpus of the same kind of text would."""
    out = np.empty((rows, DIM), np.float32)
    out[: len(base)] = base
    near = np.argsort(-(base @ base.T), axis=1)[:, 1:11] if mix == "neighbours" else None
    for start in range(len(base), rows, 100_000):
        n = min(100_000, rows - start)
        a = rng.integers(0, len(base), n)
        b = rng.integers(0, len(base), n) if near is None else near[a, rng.integers(0, 10, n)]
        w = rng.uniform(0.6 if near is None else 0.0, 1.0, (n, 1)).astype(np.float32)
        jitter = rng.standard_normal((n, DIM)).astype(np.float32)
        jitter *= noise / np.linalg.norm(jitter, axis=1, keepdims=True)
        part = w * base[a] + (1 - w) * base[b] + jitter
        out[start : start + n] = part / np.linalg.norm(part, axis=1, keepdims=True)
    return out


def recall_on(
    label: str, vectors: np.ndarray, queries: np.ndarray, keep: Path | None, shares: list
) -> list[dict[str, Any]]:
    """Build (or, in `keep`, reuse) the store's IVF-SQ index over `vectors`, then
    measure recall@10 and latency with each share of partitions probed."""
    import contextlib

    import tuirag.backends.store as store_module
    from tuirag.backends.store import Store, vector_index

    vectors = vectors.astype(np.float32)
    with contextlib.ExitStack() as stack:
        folder = keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        built = folder / "built.json"
        store = Store(folder, "bench-real-384", DIM)
        if not built.exists():
            for start in range(0, len(vectors), 20_000):
                part = vectors[start : start + 20_000]
                rows = [
                    synthetic_row(f"/r/{start + j}", f"{start + j:040x}", start + j, 0, v)
                    for j, v in enumerate(part)
                ]
                store.add_chunks(rows)
            with common.timer() as build:
                store.chunks.create_index("vector", config=vector_index())
            built.write_text(json.dumps({"build_s": build[0]}))
            store.refresh()
        build_s = json.loads(built.read_text())["build_s"]
        floor, exact, tenth = [], [], []
        for qv in queries:
            with common.timer() as t0:
                scores = vectors @ qv
                top = np.argpartition(-scores, 10)[:10]
            floor.append(t0[0] * 1000)
            exact.append(set(top.tolist()))
            tenth.append(float(scores[top].min()))  # how close the neighbours are
        runs = []
        default = store_module.PROBE_SHARE
        for share in shares or [default]:
            store_module.PROBE_SHARE = share
            store.refresh()
            store.vector_search(queries[0], 10)  # opens the files
            recalls, times = [], []
            for qv, want in zip(queries, exact, strict=True):
                with common.timer() as t:
                    hits = store.vector_search(qv, 10)
                times.append(t[0] * 1000)
                found = {int(h.path.rsplit("/", 1)[1]) for h in hits}
                recalls.append(len(found & want) / 10)
            runs.append(
                {
                    "set": label,
                    "vectors": len(vectors),
                    "build_s": build_s,
                    "tenth_cosine": float(np.mean(tenth)),
                    "share": share,
                    "nprobes": store_module.nprobes(store.indexed_rows()),
                    "recall_at_10": float(np.mean(recalls)),
                    "min_recall": float(np.min(recalls)),
                    "p50_ms": common.median(times),
                    "numpy_p50_ms": common.median(floor),
                }
            )
        store_module.PROBE_SHARE = default
        return runs


# ---- main -----------------------------------------------------------------------------


def child(argv: list[str]) -> int:
    part, args = argv[0], json.loads(argv[1])
    out = {
        "fresh": lambda: part_fresh(**args),
        "noop": lambda: part_noop(**args),
        "recall": lambda: part_recall(Path(args["vectors"]), **args["sizes"]),
    }[part]()
    print(json.dumps(out))
    return 0


def in_child(part: str, **kwargs: Any) -> Any:
    proc = subprocess.run(
        [sys.executable, __file__, "--part", part, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(common.REPO)),
    )
    if proc.returncode:
        raise SystemExit(f"{part} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--part":
        return child(sys.argv[2:])
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("--baseline", metavar="PYTHON", help="another checkout's python, paired")
    ap.add_argument("--vectors", type=Path, default=REAL_VECTORS, help="real-vector cache")
    ap.add_argument("--parts", nargs="+", default=["fresh", "memory", "noop", "recall"])
    ap.add_argument("--files", type=int, help="new files for fresh and memory (40; quick 10)")
    ap.add_argument("--rounds", type=int, default=1, help="memory: paired rounds, alternating")
    ap.add_argument("--mixed", type=int, help="vectors mixed from the real ones (100k; quick 0)")
    ap.add_argument("--mix", choices=["neighbours", "pairs"], default="neighbours")
    ap.add_argument("--noise", type=float, default=0.05, help="noise added to each blend")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="keep (or reuse) the mixed index")
    ap.add_argument("--shares", type=float, nargs="+", help="shares of partitions to probe")
    args = ap.parse_args()
    files = args.files or (10 if args.quick else 40)
    noop_sizes = [(250, 4), (250, 40)] if args.quick else [(250, 4), (250, 40), (2500, 40)]
    if not args.quick:
        noop_sizes.append((100_000, 1))
    os.environ["PYTHONPATH"] = str(common.REPO)
    out: dict[str, Any] = {"machine": common.machine()}
    print(common.describe_machine(out["machine"]))
    if "fresh" in args.parts:
        f = out["fresh"] = in_child("fresh", files=files)
        common.report(
            "Keyword first: a new folder through the pipeline",
            ["files", "chunks", "keyword-searchable s", "all vectors s", "bare embedder s",
             "vectors / bare embedder"],
            [[f["files"], f["chunks"], f["keyword_s"], f["vectors_s"], f["bare_embedder_s"],
              f["vectors_s"] / f["bare_embedder_s"]]],
        )  # fmt: skip
    if "memory" in args.parts:
        checkouts = [(sys.executable, "this")]
        if args.baseline:
            checkouts.append((args.baseline, "baseline"))
        runs = []
        for n in range(args.rounds):  # alternating (this, baseline, baseline, this, ...)
            for python, label in checkouts if n % 2 == 0 else checkouts[::-1]:
                load = os.getloadavg()[0]
                runs.append({"round": n + 1, "load": load, **part_memory(python, files, label)})
        out["memory"] = runs
        common.report(
            f"Memory, MiB ({files} new files)",
            ["round", "load", "checkout", "ingest s", "ingest peak", "no-op ingest s",
             "no-op ingest peak", "idle watch RSS", "watch RSS embedding",
             "idle watch RSS after embedding", "save to indexed s"],
            [[r["round"], r["load"], r["checkout"], r["ingest_s"], r["ingest_peak_mib"],
              r["noop_s"], r["noop_peak_mib"], r["watch_idle_mib"], r["watch_busy_mib"],
              r["watch_idle_after_embed_mib"], r["watch_change_s"]] for r in runs],
        )  # fmt: skip
    if "noop" in args.parts:
        runs = [in_child("noop", files=n, per_file=c) for n, c in noop_sizes]
        out["noop"] = runs
        common.report(
            "No-op re-ingest (restart / reconcile) against index size",
            ["files", "chunks", "seconds", "peak RSS MiB"],
            [[f"{r['files']:,}", f"{r['chunks']:,}", r["noop_s"], r["noop_peak_mib"]]
             for r in runs],
        )  # fmt: skip
    if "recall" in args.parts:
        mixed = args.mixed if args.mixed is not None else 0 if args.quick else 100_000
        sizes = {
            "n_real": 3000,
            "mixed": mixed,
            "mix": args.mix,
            "noise": args.noise,
            "queries": 50,
            "keep": str(args.keep) if args.keep else None,
            "shares": args.shares,
        }
        runs = in_child("recall", vectors=str(args.vectors), sizes=sizes)
        out["recall"] = runs
        common.report(
            "ANN index (IVF-SQ, exact re-rank) against exact search, real vectors",
            ["vectors", "set", "cosine of the 10th neighbour", "build s", "share probed",
             "nprobes", "recall@10", "min recall@10", "p50 ms", "numpy exact p50 ms"],
            [[f"{r['vectors']:,}", r["set"], r["tenth_cosine"], r["build_s"], r["share"],
              r["nprobes"], r["recall_at_10"], r["min_recall"], r["p50_ms"], r["numpy_p50_ms"]]
             for r in runs],
        )  # fmt: skip
    common.write_json(args.json, {"benchmark": "scale", **out})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
