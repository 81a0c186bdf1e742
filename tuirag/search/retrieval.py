"""Question → ranked chunks: vector, full-text (BM25), or both fused (by rank or by score).

Hybrid fusion weighs the BM25 ranking `bm25_weight` times the vector ranking: with
the bundled English-only model, weight 1.5 and `rrf_k = 20` found the right passage
in the top 5 most often on both public eval sets together, the generated one and the
real documents, without burying the vectors' best hit on paraphrased questions
(docs/PERFORMANCE.md, "Retrieval quality").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tuirag.search.filters import SearchFilter
from tuirag.text import mostly_cjk
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
    def __init__(
        self,
        store: Store,
        embedder: Callable[[], Embedder],
        rrf_k: int = 60,
        bm25_weight: float = 1.0,
        fusion: str = "rrf",
    ) -> None:
        self.store = store
        self._embedder = embedder  # called only by vector and hybrid search: fts loads no model
        self.rrf_k = rrf_k
        self.bm25_weight = bm25_weight
        self.fusion = fusion

    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    def search(
        self, query: str, k: int = 5, mode: str = "hybrid", where: SearchFilter | None = None
    ) -> SearchResult:
        """The k best chunks for `query`, among the files `where` allows."""
        started = time.perf_counter()
        sql = where.sql() if where else ""
        warning = ""
        notes = []
        if mode != "vector" and not self.store.has_fts() and self.store.count():
            warning = "full-text index not built yet; using vector search only"
            mode = "vector"
        if mode == "hybrid" and mostly_cjk(query) and not self.embedder.multilingual:
            # An English-only model's vectors of Chinese text are near noise: on the
            # eval set, full-text alone ranked Chinese answers first far more often.
            notes.append(
                "Chinese/Japanese/Korean query: full-text search only (the "
                "embedding model is English-only; pick a multilingual embedder.model)"
            )
            mode = "fts"
        if mode != "fts" and (waiting := self.store.count_pending()):
            total = self.store.count()
            notes.append(
                f"embedded {total - waiting:,} of {total:,} chunks so far: "
                + (
                    "the rest are ranked by keyword (BM25) only"
                    if mode == "hybrid"
                    else "vector search sees only those (try --mode hybrid or fts)"
                )
            )
        if mode == "fts":
            hits = self.store.text_search(query, k, where=sql)
        else:
            vector = self.embedder.embed_query(query)
            if mode == "vector":
                hits = self.store.vector_search(vector, k, where=sql)
            else:
                hits = self._hybrid(query, vector, k, sql)
        millis = (time.perf_counter() - started) * 1000
        return SearchResult(hits, mode, millis, warning, notes)

    def _hybrid(self, query: str, vector: np.ndarray, k: int, where: str = "") -> list[Hit]:
        pool = max(k * 4, 20)
        # Both searches at once: at 1M chunks that took 0.7x the time of one after the
        # other (LanceDB spends part of each waiting on reads), and cost nothing at 10k.
        with ThreadPoolExecutor(1, thread_name_prefix="tuirag-vector") as side:
            dense_job = side.submit(self.store.vector_search, vector, pool, where)
            sparse = self.store.text_search(query, pool, vector=vector, where=where)
            dense = dense_job.result()
        if self.fusion == "relative":
            return relative_fuse(dense, sparse, k, self.bm25_weight)
        return rrf_fuse([dense, sparse], k, self.rrf_k, weights=(1.0, self.bm25_weight))


def rrf_fuse(
    rankings: list[list[Hit]], k: int, rrf_k: int = 60, weights: Sequence[float] | None = None
) -> list[Hit]:
    """Weighted reciprocal rank fusion: score = Σ weight / (rrf_k + rank).

    Weights default to 1 per ranking. Keeps each chunk's cosine.
    """
    scores: dict[str, float] = {}
    best: dict[str, Hit] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (rrf_k + rank)
            if hit.chunk_id not in best or best[hit.chunk_id].vector_score is None:
                best[hit.chunk_id] = hit
    order = sorted(scores, key=lambda cid: scores[cid], reverse=True)[:k]
    return [replace(best[cid], score=scores[cid]) for cid in order]


def relative_fuse(
    dense: list[Hit], sparse: list[Hit], k: int, bm25_weight: float = 1.0
) -> list[Hit]:
    """Score-aware fusion: each side's scores scaled to 0..1 over the pool, then summed.

    Unlike rank fusion, a clearly best vector hit keeps its lead when BM25 finds
    many keyword-rich neighbours. Every candidate's cosine is known (full-text hits
    carry it), so a BM25-only hit is judged by its vectors too; a vector-only hit
    gets 0 from BM25.
    """
    cosines = {h.chunk_id: h.vector_score for h in [*dense, *sparse] if h.vector_score is not None}
    bm25 = {h.chunk_id: h.score for h in sparse}
    best = {h.chunk_id: h for h in [*sparse, *dense]}
    scaled_cos = _minmax(cosines)
    scaled_bm25 = _minmax(bm25)
    total = bm25_weight + 1.0
    scores = {
        cid: (scaled_cos.get(cid, 0.0) + bm25_weight * scaled_bm25.get(cid, 0.0)) / total
        for cid in best
    }
    order = sorted(scores, key=lambda cid: scores[cid], reverse=True)[:k]
    return [replace(best[cid], score=scores[cid]) for cid in order]


def _minmax(known: Mapping[str, float]) -> dict[str, float]:
    if not known:
        return {}
    low, high = min(known.values()), max(known.values())
    span = high - low
    return {key: (v - low) / span if span > 0 else 1.0 for key, v in known.items()}
