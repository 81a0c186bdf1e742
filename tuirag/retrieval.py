"""Question → ranked chunks: vector, full-text (BM25), or both fused by reciprocal rank."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tuirag.types import Hit

if TYPE_CHECKING:
    import numpy as np

    from tuirag.backends.embedder import Embedder
    from tuirag.backends.store import Store

MODES = ("hybrid", "vector", "fts")


@dataclass
class SearchResult:
    hits: list[Hit]
    mode: str  # the mode actually used
    millis: float
    warning: str = ""
    notes: list[str] = field(default_factory=list)


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, rrf_k: int = 60) -> None:
        self.store = store
        self.embedder = embedder
        self.rrf_k = rrf_k

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> SearchResult:
        started = time.perf_counter()
        warning = ""
        if mode != "vector" and not self.store.has_fts() and self.store.count():
            warning = "full-text index not built yet; using vector search only"
            mode = "vector"
        if mode == "fts":
            hits = self.store.text_search(query, k)
        else:
            vector = self.embedder.embed_query(query)
            if mode == "vector":
                hits = self.store.vector_search(vector, k)
            else:
                hits = self._hybrid(query, vector, k)
        return SearchResult(hits, mode, (time.perf_counter() - started) * 1000, warning)

    def _hybrid(self, query: str, vector: np.ndarray, k: int) -> list[Hit]:
        pool = max(k * 4, 20)
        dense = self.store.vector_search(vector, pool)
        sparse = self.store.text_search(query, pool, vector=vector)
        return rrf_fuse([dense, sparse], k, self.rrf_k)


def rrf_fuse(rankings: list[list[Hit]], k: int, rrf_k: int = 60) -> list[Hit]:
    """Reciprocal rank fusion: score = Σ 1/(rrf_k + rank). Keeps each chunk's cosine."""
    scores: dict[str, float] = {}
    best: dict[str, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (rrf_k + rank)
            if hit.chunk_id not in best or best[hit.chunk_id].vector_score is None:
                best[hit.chunk_id] = hit
    order = sorted(scores, key=lambda cid: scores[cid], reverse=True)[:k]
    return [replace(best[cid], score=scores[cid]) for cid in order]
