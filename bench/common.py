"""Shared helpers for the benchmark scripts: arguments, timing, tables, machine facts, JSON.

Every script prints Markdown tables (paste them into docs/PERFORMANCE.md as they are)
and, with --json PATH, writes its figures with the machine, date and commit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a smaller run that takes a minute or two")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    return p


@contextmanager
def timer() -> Iterator[list[float]]:
    """`with timer() as t: ...` then t[0] is the elapsed seconds."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), like numpy's default."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rss_mib() -> float:
    """Resident memory of this process now."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kib = 0
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git("rev-parse", "--short", "HEAD")
        + (" (dirty)" if _git("status", "--porcelain", "--", "tuirag") else ""),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "python": platform.python_version(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def describe_machine(info: dict[str, Any]) -> str:
    return (
        f"{info['date']}, commit {info['commit']}, {info['cpu']} ({info['cores']} cores), "
        f"{info['memory_gib']} GiB, Python {info['python']}, load {info['load_avg']}"
    )


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A pipe table; numbers right-aligned."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
        return str(value)

    text = [[cell(v) for v in row] for row in rows]
    numeric = [
        all(isinstance(row[i], int | float) for row in rows) if rows else False
        for i in range(len(columns))
    ]
    widths = [max([len(c), *(len(r[i]) for r in text)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(
                v.rjust(w) if num else v.ljust(w)
                for v, w, num in zip(values, widths, numeric, strict=True)
            )
            + " |"
        )

    rule = (
        "| "
        + " | ".join(
            ("-" * (w - 1) + ":") if num else "-" * w
            for w, num in zip(widths, numeric, strict=True)
        )
        + " |"
    )
    return "\n".join([line(list(columns)), rule, *(line(r) for r in text)])


def report(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    print(f"\n### {title}\n")
    print(markdown_table(columns, rows))
    sys.stdout.flush()


def synthetic_chunk(
    chunk_id: str, path: str, key: str, ordinal: int, text: str, vector: Any, **fields: Any
) -> dict[str, Any]:
    """A chunks-table row for synthetic indexes; `fields` override the defaults below."""
    return {
        "chunk_id": chunk_id,
        "path": path,
        "path_key": key,
        "file_hash": "0" * 32,
        "mtime_ns": 0,
        "ordinal": ordinal,
        "kind": "prose",
        "plugin": "text",
        "heading": "",
        "page": None,
        "start_line": None,
        "end_line": None,
        "text": text,
        "search_text": text,
        "text_hash": chunk_id.rjust(32, "0"),
        "embedded": True,
        "vector": vector,
    } | fields


def write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2, ensure_ascii=False))
    print(f"\nwrote {path}")


class CachedEmbedder:
    """An embedder whose vectors are kept in SQLite by text, across runs.

    Quality sweeps re-index the same corpora many times with small changes; only
    texts never seen before are embedded again. Use for retrieval-quality
    benchmarks only: it hides embedding time, so never for throughput figures.
    """

    def __init__(self, inner: Any, path: Path) -> None:
        import sqlite3

        self.inner = inner
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        self.db.execute("CREATE TABLE IF NOT EXISTS v (key TEXT PRIMARY KEY, vec BLOB)")
        for name in ("key", "label", "multilingual", "dim", "max_tokens", "tokenizer"):
            setattr(self, name, getattr(inner, name))

    def _cached(self, texts: list[str], embed: Any, tag: str) -> Any:
        import hashlib

        import numpy as np

        keys = [hashlib.blake2b(f"{tag}\0{t}".encode(), digest_size=16).hexdigest() for t in texts]
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            marks = ",".join("?" * len(batch))
            for key, blob in self.db.execute(
                f"SELECT key, vec FROM v WHERE key IN ({marks})", batch
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in found]
        if missing:
            fresh = embed([t for _, t in missing])
            rows = [
                (k, np.asarray(v, dtype=np.float32).tobytes())
                for (k, _), v in zip(missing, fresh, strict=True)
            ]
            self.db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?)", rows)
            self.db.commit()
            found.update({k: np.frombuffer(b, dtype=np.float32) for k, b in rows})
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def embed_documents(self, texts: list[str]) -> Any:
        return self._cached(texts, self.inner.embed_documents, "d")

    def embed_query(self, text: str) -> Any:
        return self._cached([text], lambda ts: [self.inner.embed_query(ts[0])], "q")[0]
