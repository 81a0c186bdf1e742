"""The ANN index probes a share of its partitions that grows with the index, and a
folder filter still gets the exact best chunks of that folder (real LanceDB, with
partitions of 100 rows so a few thousand vectors make dozens of them)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tuirag.backends import store as store_module
from tuirag.backends.store import FileRecord, NewChunk, Store
from tuirag.types import Chunk

DIM = 16
CLUSTERS = 30
PER_FILE = 50


@pytest.fixture
def small_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "ROWS_PER_PARTITION", 100)
    monkeypatch.setattr(store_module, "VECTOR_INDEX_MIN_ROWS", 500)
    monkeypatch.setattr(store_module, "MIN_NPROBES", 2)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


CENTRES = unit(np.random.default_rng(0).standard_normal((CLUSTERS, DIM)))


def add_files(store: Store, first: int, files: int, embedded: bool = True) -> dict[str, np.ndarray]:
    """`files` files of PER_FILE chunks, each file's vectors around one cluster centre."""
    rng = np.random.default_rng(first)
    written = {}
    for f in range(first, first + files):
        path = f"/docs/file{f:04d}.md"
        vectors = unit(CENTRES[f % CLUSTERS] + 0.35 * unit(rng.standard_normal((PER_FILE, DIM))))
        record = FileRecord(path, 1, 1, f"{f:032x}", chunks=PER_FILE, plugin="text")
        rows = [
            NewChunk(record, Chunk(f"chunk {n} of file {f}", n), "", f"{f:08x}{n:08x}", v)
            for n, v in enumerate(vectors if embedded else [None] * PER_FILE)
        ]
        store.write_batch([record], rows)
        written[path] = vectors
    return written


def exact_top(written: dict[str, np.ndarray], query: np.ndarray, k: int) -> list[tuple[str, int]]:
    rows = [(path, n) for path, vectors in written.items() for n in range(len(vectors))]
    scores = np.concatenate(list(written.values())) @ query
    return [rows[i] for i in np.argsort(-scores)[:k]]


def found(store: Store, query: np.ndarray, k: int, where: str = "") -> list[tuple[str, int]]:
    hits = store.vector_search(query, k, where=where)
    return [(h.path, int(h.text.split()[1])) for h in hits]


def test_probes_grow_with_the_index_and_recall_holds(
    tmp_path: Path, small_partitions: None
) -> None:
    writer = Store(tmp_path, "test-16", DIM)
    written = add_files(writer, 0, 60)  # 3,000 vectors
    writer.optimize()
    reader = Store(tmp_path, "test-16", DIM)  # a second process: `tuirag search`
    assert reader.indexed_rows() == 3000
    assert store_module.nprobes(3000) == math.ceil(store_module.PROBE_SHARE * 30) < 30

    queries = unit(CENTRES[:20] + 0.3 * unit(np.random.default_rng(9).standard_normal((20, DIM))))
    recall = np.mean(
        [len(set(found(reader, q, 10)) & set(exact_top(written, q, 10))) for q in queries]
    )
    assert recall / 10 >= 0.98

    written |= add_files(writer, 60, 60)  # the index grows to 6,000 vectors
    add_files(writer, 120, 2, embedded=False)  # and two files wait for their vectors
    writer.optimize()
    assert reader.indexed_rows() == 3000 and reader.count_pending() == 0  # its version
    reader.refresh()
    assert reader.indexed_rows() == 6000 + 2 * PER_FILE and reader.count_pending() == 2 * PER_FILE
    assert store_module.nprobes(6000) > store_module.nprobes(3000)
    recall = np.mean(
        [len(set(found(reader, q, 10)) & set(exact_top(written, q, 10))) for q in queries]
    )
    assert recall / 10 >= 0.98


def test_a_folder_filter_gets_that_folders_exact_best_chunks(
    tmp_path: Path, small_partitions: None
) -> None:
    store = Store(tmp_path, "test-16", DIM)
    written = add_files(store, 0, 60)
    store.optimize()
    query = CENTRES[0]  # near file0000's cluster; the filtered files sit around others
    for f in range(1, 30, 3):
        path = f"/docs/file{f:04d}.md"
        want = exact_top({path: written[path]}, query, 10)
        assert found(store, query, 10, where=f"path = '{path}'") == want, path
