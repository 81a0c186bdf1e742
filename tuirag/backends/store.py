"""The index on disk: LanceDB tables of chunks and of file records.

One index folder per embedder (model, dimension, prefixes): vectors of two models
can never meet in one table, and switching back to a model finds its index intact.
Filters that delete or update only ever contain hex digests we computed, never user
paths (a file named `a' OR '1'='1.md` cannot widen a delete); the one user-typed
value, a search's path glob, is quoted and escaped (tuirag/search/filters.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.index import FTS, BTree, IvfSq
from lancedb.query import MatchQuery

from tuirag.backends.index_dirs import folder_bytes
from tuirag.text import fts_text
from tuirag.types import Chunk, Hit, RecordStatus

log = logging.getLogger(__name__)

CHUNKS = "chunks"
FILES = "files"
SCHEMA_VERSION = 2  # 2: chunks.embedded (keyword-first ingest; vectors filled in behind)
# Past this many vectors `optimize()` builds an ANN index: IVF partitions of 8-bit
# scalar-quantised vectors. Queries re-rank REFINE x k candidates on the full vectors,
# so scores are exact cosines. Measured against IVF-HNSW-SQ and IVF-PQ on 100k vectors
# (docs/PERFORMANCE.md): a build of about a minute instead of 17. An exact scan costs
# ~2 us a row, so from about 10k vectors it takes longer than 20 ms: the index starts there.
VECTOR_INDEX_MIN_ROWS = 10_000
REFINE = 5
# LanceDB cuts the vectors into partitions of about ROWS_PER_PARTITION (its default,
# set here so the count is known; optimize() splits partitions as rows are added).
# A fixed 20 probes covered all 12 partitions at 100k but a sixth of the 122 at 1M,
# where recall@10 fell to 0.43 on random vectors. So a query probes PROBE_SHARE of
# the partitions, at least MIN_NPROBES (all of them up to ~160k vectors, ~10 ms).
# At 1M (docs/PERFORMANCE.md): recall@10 1.00 on vectors mixed from real embeddings
# from a share of 0.25 (0.5 for margin, 25 ms); 0.76 on random vectors, the worst
# case, where probing all (1.0) gives 1.00 for ~35 % more time.
ROWS_PER_PARTITION = 8192
PROBE_SHARE = 0.5
MIN_NPROBES = 20


def nprobes(indexed_rows: int, filtered: bool = False) -> int:
    """How many IVF partitions a query probes in an index over `indexed_rows` rows.

    A filtered query probes them all (twice the estimate, as splits can leave a few
    more): the best rows of one folder can sit in partitions an unfiltered query
    skips. With 20 probes at 1M a one-file filter returned as few as 2 of 10
    hits (recall 0.23); all partitions cost ~40 ms there and keep its top 10 exact.
    """
    partitions = math.ceil(indexed_rows / ROWS_PER_PARTITION)
    if filtered:
        return max(MIN_NPROBES, 2 * partitions)
    return max(MIN_NPROBES, math.ceil(PROBE_SHARE * partitions))


def vector_index() -> IvfSq:
    """The ANN index's configuration (bench/ builds the same one)."""
    return IvfSq(distance_type="cosine", target_partition_size=ROWS_PER_PARTITION)


def path_key(path: str) -> str:
    return hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()


def chunks_schema(dim: int) -> pa.Schema:
    return pa.schema(
        [
            pa.field("chunk_id", pa.string()),
            pa.field("path", pa.string()),
            pa.field("path_key", pa.string()),
            pa.field("file_hash", pa.string()),
            pa.field("mtime_ns", pa.int64()),
            pa.field("ordinal", pa.int32()),
            pa.field("kind", pa.string()),
            pa.field("plugin", pa.string()),
            pa.field("heading", pa.string()),
            pa.field("page", pa.int32()),
            pa.field("start_line", pa.int32()),
            pa.field("end_line", pa.int32()),
            pa.field("text", pa.string()),
            pa.field("search_text", pa.string()),
            pa.field("text_hash", pa.string()),
            pa.field("embedded", pa.bool_()),  # False until the vector is filled in
            pa.field("vector", pa.list_(pa.float32(), dim)),  # null until embedded
        ]
    )


FILES_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string()),
        pa.field("path_key", pa.string()),
        pa.field("size", pa.int64()),
        pa.field("mtime_ns", pa.int64()),
        pa.field("file_hash", pa.string()),
        pa.field("status", pa.string()),  # ok | failed
        pa.field("reason", pa.string()),
        pa.field("chunks", pa.int32()),
        pa.field("plugin", pa.string()),
        pa.field("parser_version", pa.string()),
        pa.field("indexed_at", pa.float64()),
    ]
)

HIT_COLUMNS = [
    "chunk_id",
    "path",
    "file_hash",
    "kind",
    "plugin",
    "heading",
    "page",
    "start_line",
    "end_line",
    "text",
]


@dataclass(frozen=True, slots=True)
class FileRecord:
    path: str
    size: int
    mtime_ns: int
    file_hash: str
    status: RecordStatus = "ok"
    reason: str = ""
    chunks: int = 0
    plugin: str = ""
    parser_version: str = ""
    indexed_at: float = 0.0

    def row(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "path_key": path_key(self.path),
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "file_hash": self.file_hash,
            "status": self.status,
            "reason": self.reason,
            "chunks": self.chunks,
            "plugin": self.plugin,
            "parser_version": self.parser_version,
            "indexed_at": self.indexed_at or time.time(),
        }


@dataclass(frozen=True, slots=True)
class IndexCounts:
    files: int
    failed: int
    skipped: int
    chunks: int
    embedded: int


@dataclass(frozen=True, slots=True)
class PendingChunk:
    """A chunk waiting for its vector: what is needed to compute and store it."""

    chunk_id: str
    heading: str
    text: str
    text_hash: str


@dataclass(frozen=True, slots=True)
class NewChunk:
    """One chunk to write: its file's record, what was embedded, its hash and vector."""

    record: FileRecord
    chunk: Chunk
    embedded_text: str  # heading + text: what the vector sees (pipeline.embed_input)
    text_hash: str
    vector: np.ndarray | None  # None: found by keyword until embed_pending fills it in

    def row(self) -> dict[str, Any]:
        key = path_key(self.record.path)
        ident = f"{key}:{self.chunk.ordinal}:{self.text_hash}"
        return {
            "chunk_id": hashlib.blake2b(ident.encode(), digest_size=12).hexdigest(),
            "path": self.record.path,
            "path_key": key,
            "file_hash": self.record.file_hash,
            "mtime_ns": self.record.mtime_ns,
            "ordinal": self.chunk.ordinal,
            "kind": self.chunk.kind,
            "plugin": self.record.plugin,
            "heading": self.chunk.heading,
            "page": self.chunk.page,
            "start_line": self.chunk.start_line,
            "end_line": self.chunk.end_line,
            "text": self.chunk.text,
            "search_text": fts_text(search_text(self.record.path, self.embedded_text)),
            "text_hash": self.text_hash,
            "embedded": self.vector is not None,
            "vector": None if self.vector is None else np.asarray(self.vector, dtype=np.float32),
        }


def search_text(path: str, embedded_text: str) -> str:
    """What full-text search indexes: the embedded text plus the file's folder and
    name, so a file is found by its name without the name shaping its vector."""
    where = Path(path)
    return f"{where.parent.name}/{where.name}\n{embedded_text}"


class StoreError(Exception):
    """The index cannot be opened or used; the message says what to do."""


def _delete_keys(table: Any, keys: list[str]) -> None:
    """Delete rows by path_key, 500 keys a statement (one commit each)."""
    for start in range(0, len(keys), 500):
        table.delete(_in("path_key", keys[start : start + 500]))


def _in(column: str, keys: Iterable[str]) -> str:
    quoted = ",".join(f"'{k}'" for k in keys if re.fullmatch(r"[0-9a-f]+", k))
    return f"{column} IN ({quoted})"


class Store:
    """The chunks and files tables of one embedder's index."""

    def __init__(self, folder: Path, embedder_key: str, dim: int) -> None:
        self.folder = folder
        self.dim = dim
        self.embedder_key = embedder_key
        self._facts: tuple[int, dict[str, Any]] = (-1, {})  # see _per_version
        folder.mkdir(parents=True, exist_ok=True)
        self._check_meta()
        try:
            self.db = lancedb.connect(str(folder / "lance"))
            # exist_ok: another process (an ingest, `tuirag watch`) may create them first
            self.chunks = self.db.create_table(CHUNKS, schema=chunks_schema(dim), exist_ok=True)
            self.files = self.db.create_table(FILES, schema=FILES_SCHEMA, exist_ok=True)
            if "embedded" not in self.chunks.schema.names:  # schema 1: every row has a vector
                self.chunks.add_columns({"embedded": "true"})
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(
                f"cannot open the index at {folder}: {exc}. "
                "Move that folder away and run `tuirag ingest` to rebuild it."
            ) from None

    def _check_meta(self) -> None:
        meta_file = self.folder / "meta.json"
        meta = {"embedder": self.embedder_key, "dim": self.dim, "schema": SCHEMA_VERSION}
        if meta_file.exists():
            try:
                found = json.loads(meta_file.read_text())
                if not isinstance(found, dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError) as exc:
                raise StoreError(
                    f"the index at {self.folder} is damaged ({meta_file.name}: {exc}); "
                    "run `tuirag ingest --repair` to rebuild it"
                ) from None
            if found.get("dim") != self.dim or found.get("embedder") != self.embedder_key:
                raise StoreError(
                    f"the index at {self.folder} holds {found.get('embedder')} vectors "
                    f"(dim {found.get('dim')}), not {self.embedder_key} (dim {self.dim})"
                )
        else:
            tmp = meta_file.with_suffix(f".{os.getpid()}.tmp")  # two first runs at once
            tmp.write_text(json.dumps(meta))
            tmp.replace(meta_file)

    def refresh(self) -> None:
        """See writes made by another process (the watch daemon) since we opened."""
        for table in (self.chunks, self.files):
            with contextlib.suppress(ValueError, RuntimeError):
                table.checkout_latest()

    # ---- file records -------------------------------------------------

    def file_records(self) -> dict[str, FileRecord]:
        arrow = self.files.to_arrow()
        fields = [f.name for f in FILES_SCHEMA if f.name != "path_key"]
        rows = arrow.select(fields).to_pylist()
        return {row["path"]: FileRecord(**row) for row in rows}

    def put_files(self, records: Sequence[FileRecord]) -> None:
        if not records:
            return
        rows = [r.row() for r in records]
        (
            self.files.merge_insert("path_key")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(pa.Table.from_pylist(rows, schema=FILES_SCHEMA))
        )

    def file_hashes(self, paths: Sequence[str]) -> dict[str, str]:
        """file_hash of each of `paths` indexed without error now (others are absent)."""
        keys = sorted({path_key(p) for p in paths})
        if not keys:
            return {}
        rows = (
            self.files.search()
            .where(f"{_in('path_key', keys)} AND status = 'ok'")
            .select(["path", "file_hash"])
            .limit(len(keys) * 2)
            .to_arrow()
            .to_pylist()
        )
        return {row["path"]: row["file_hash"] for row in rows}

    def delete_files(self, paths: Iterable[str]) -> None:
        _delete_keys(self.files, [path_key(p) for p in paths])

    # ---- chunks ---------------------------------------------------------

    def write_batch(
        self,
        records: Sequence[FileRecord],
        chunks: Sequence[NewChunk],
        touched: Sequence[FileRecord] = (),
    ) -> None:
        """Replace the files of `records` by `chunks`; refresh the `touched` records.

        Order: drop their file records, drop their old chunks, add the new chunks,
        write the new records. A crash anywhere leaves files without a record,
        which the next run re-indexes (deleting any partial chunks first).
        """
        paths = [r.path for r in records]
        self.delete_files(paths)
        self.delete_chunks(paths)
        self.add_chunks([c.row() for c in chunks])
        self.put_files([*records, *touched])

    def delete_chunks(self, paths: Iterable[str]) -> None:
        _delete_keys(self.chunks, [path_key(p) for p in paths])

    def add_chunks(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.chunks.add(pa.Table.from_pylist(rows, schema=chunks_schema(self.dim)))
            # keyword first: the first batch is findable at once, not after the whole
            # pass; the text index covers rows added later until optimize() merges them
            self._ensure_fts()

    def vectors_for(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for these chunk texts, so edits and renames reuse them."""
        found: dict[str, np.ndarray] = {}
        unique = sorted(set(text_hashes))
        for start in range(0, len(unique), 500):
            batch = unique[start : start + 500]
            arrow = (
                self.chunks.search()
                .where(f"{_in('text_hash', batch)} AND embedded = true")
                .select(["text_hash", "vector"])
                .limit(len(batch) * 50)
                .to_arrow()
            )
            hashes = arrow.column("text_hash").to_pylist()
            vectors = arrow.column("vector").to_numpy(zero_copy_only=False)
            for h, v in zip(hashes, vectors, strict=True):
                found.setdefault(h, np.asarray(v, dtype=np.float32))
        return found

    def chunk_path_keys(self) -> set[str]:
        """The path_key of every chunk, reading that column only (never the vectors)."""
        rows = self.count()
        if not rows:
            return set()
        arrow = self.chunks.search().select(["path_key"]).limit(rows).to_arrow()
        return set(arrow.column("path_key").to_pylist())

    def pending_order(self) -> list[str]:
        """The ids of the chunks still without a vector, those of the newest files first."""
        waiting = self.count_pending()
        if not waiting:
            return []
        order = (
            self.chunks.search()
            .where("embedded = false")
            .select(["chunk_id", "mtime_ns", "ordinal"])
            .limit(waiting)
            .to_arrow()
            .to_pylist()
        )
        order.sort(key=lambda r: (-r["mtime_ns"], r["ordinal"]))
        return [r["chunk_id"] for r in order]

    def pending_chunks(self, ids: Sequence[str]) -> list[PendingChunk]:
        """These chunks (from `pending_order`), in that order, with what embedding needs."""
        if not ids:
            return []
        rows = (
            self.chunks.search()
            .where(_in("chunk_id", ids))
            .select(["chunk_id", "heading", "text", "text_hash"])
            .limit(len(ids))
            .to_arrow()
            .to_pylist()
        )
        rank = {cid: n for n, cid in enumerate(ids)}
        rows.sort(key=lambda r: rank[r["chunk_id"]])
        return [PendingChunk(**row) for row in rows]

    def set_vectors(self, chunk_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Fill in the vectors of these chunks (one commit); chunks deleted since are ignored."""
        if not chunk_ids:
            return
        dim_type = pa.list_(pa.float32(), self.dim)
        flat = pa.array(np.asarray(vectors, dtype=np.float32).reshape(-1))
        update = pa.table(
            {
                "chunk_id": pa.array(list(chunk_ids), pa.string()),
                "embedded": pa.array([True] * len(chunk_ids), pa.bool_()),
                "vector": pa.FixedSizeListArray.from_arrays(flat, type=dim_type),
            }
        )
        self.chunks.merge_insert("chunk_id").when_matched_update_all().execute(update)

    def count_pending(self) -> int:
        """Chunks written (and full-text searchable) whose vector is not computed yet."""
        return self._per_version("pending", lambda: self.chunks.count_rows("embedded = false"))

    def _per_version(self, fact: str, compute: Callable[[], Any]) -> Any:
        """A fact about the chunks table, computed once per table version: every search
        asks for them, and counting the pending rows scans a column (6-12 ms at 1M
        chunks). A reader's version changes only on refresh(), a writer's on a write."""
        version = self.chunks.version
        if self._facts[0] != version:
            self._facts = (version, {})
        facts = self._facts[1]
        if fact not in facts:
            facts[fact] = compute()
        return facts[fact]

    def delete_chunk_keys(self, keys: Iterable[str]) -> None:
        _delete_keys(self.chunks, list(keys))

    def count(self) -> int:
        return self.chunks.count_rows()

    def searchable_count(self) -> int:
        """Chunks a search can find: none until the text index exists, which the writer
        creates just after its first batch lands (a reader can see the rows first)."""
        return self.count() if self.has_fts() else 0

    def counts(self) -> IndexCounts:
        """Files by status and chunks with and without vectors (counts only, no rows)."""
        files = {s: self.files.count_rows(f"status = '{s}'") for s in ("ok", "failed", "skipped")}
        chunks = self.count()
        return IndexCounts(
            files["ok"], files["failed"], files["skipped"], chunks, chunks - self.count_pending()
        )

    def problems(self) -> list[FileRecord]:
        """Failed and skipped files, and indexed ones with a warning, by path."""
        rows = (
            self.files.search()
            .where("reason != ''")
            .select(["path", "status", "reason"])
            .limit(max(1, self.files.count_rows()))
            .to_arrow()
            .to_pylist()
        )
        return sorted(
            (FileRecord(r["path"], 0, 0, "", r["status"], r["reason"]) for r in rows),
            key=lambda r: r.path,
        )

    def rows(self, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Every chunk row, with only `columns` (for checks and benchmarks, not queries)."""
        return self.chunks.to_arrow().select(list(columns)).to_pylist()

    # ---- maintenance ----------------------------------------------------

    def optimize(self, retention: timedelta = timedelta(minutes=5)) -> None:
        """Compact, bring the text and vector indexes up to date, drop old versions.

        Old versions are kept for `retention` so a reader mid-query keeps its files.
        """
        rows = self.count()
        if rows:
            self._ensure_fts()
            indices = [idx.name for idx in self._indices()]
            # B-tree indexes keep per-file deletes and vector reuse off full scans
            for column in ("path_key", "text_hash"):
                if not any(column in name for name in indices):
                    self.chunks.create_index(column, config=BTree())
            vectors = rows - self.count_pending()
            if vectors >= VECTOR_INDEX_MIN_ROWS and not any("vector" in n for n in indices):
                self.chunks.create_index("vector", config=vector_index())
        for table in (self.chunks, self.files):
            table.optimize(cleanup_older_than=retention)

    # ---- verification (tuirag doctor, ingest --repair) ---------------------

    def readable_rows(self) -> dict[str, tuple[int, int]]:
        """Per table, the rows its manifest lists and the rows that read back: every
        data file is opened, so a deleted or truncated one raises here."""
        return {
            name: (table.count_rows(), table.to_arrow().num_rows)
            for name, table in ((CHUNKS, self.chunks), (FILES, self.files))
        }

    def sample_chunk(self) -> dict[str, Any] | None:
        """One chunk row (path, search_text, vector, embedded), to probe the search
        indexes: an embedded one when there is one (pending rows hold no real vector)."""
        columns = ["path", "search_text", "vector", "embedded"]
        for where in ("embedded = true", "true"):
            rows = self.chunks.search().where(where).select(columns).limit(1).to_list()
            if rows:
                return rows[0]
        return None

    def drop_search_indexes(self) -> None:
        """Drop the full-text, B-tree and vector indexes; optimize() builds them again."""
        for index in self.chunks.list_indices():
            self.chunks.drop_index(index.name)

    def disk_bytes(self) -> int:
        return folder_bytes(self.folder)

    def _indices(self) -> list[Any]:
        """The chunks table's indexes (LanceDB IndexConfig), listed once per version."""
        return list(self._per_version("indices", lambda: list(self.chunks.list_indices())))

    def has_fts(self) -> bool:
        return any("search_text" in i.name for i in self._indices())

    def _ensure_fts(self) -> None:
        if not self.has_fts():
            self.chunks.create_index("search_text", config=FTS(with_position=False))

    # ---- search ---------------------------------------------------------

    def indexed_rows(self) -> int:
        """Rows the ANN index covers (rows still without a vector too), 0 without one."""

        def count() -> int:
            index = next((i for i in self._indices() if "vector" in i.name), None)
            return (index.num_indexed_rows or self.count()) if index else 0

        return int(self._per_version("indexed", count))

    def vector_search(self, vector: np.ndarray, k: int, where: str = "") -> list[Hit]:
        """The k nearest chunks by cosine: exact below VECTOR_INDEX_MIN_ROWS, else through
        the ANN index (rows added since it was built are scanned exactly); chunks
        without a vector yet are skipped. `where` (a SearchFilter's SQL) applies before
        ranking."""
        if not self.count():
            return []
        query = (
            self.chunks.search(vector, vector_column_name="vector")
            .distance_type("cosine")  # type: ignore[attr-defined]  # typed as the base builder
            .select([*HIT_COLUMNS, "_distance"])
            .limit(k)
        )
        if where:
            query = query.where(where, prefilter=True)
        if indexed := self.indexed_rows():
            query = query.nprobes(nprobes(indexed, bool(where))).refine_factor(REFINE)
        arrow = query.to_arrow()
        return [
            _hit(row, score=1.0 - row["_distance"], vector_score=1.0 - row["_distance"])
            for row in arrow.to_pylist()
        ]

    def text_search(
        self, query: str, k: int, vector: np.ndarray | None = None, where: str = ""
    ) -> list[Hit]:
        """BM25 over the text; with `vector`, also each hit's cosine similarity."""
        if not self.count() or not self.has_fts() or not query.strip():
            return []
        columns = [*HIT_COLUMNS, "_score", *(["vector"] if vector is not None else [])]
        search = self.chunks.search(self._match(query), query_type="fts")
        if where:
            search = search.where(where, prefilter=True)
        arrow = search.select(columns).limit(k).to_arrow()
        hits = []
        for row in arrow.to_pylist():
            sim = None
            if vector is not None and (stored := row.pop("vector")) is not None:
                sim = float(np.dot(np.asarray(stored, dtype=np.float32), vector))
            hits.append(_hit(row, score=row["_score"], vector_score=sim))
        return hits

    @staticmethod
    def _match(query: str) -> MatchQuery:
        return MatchQuery(fts_text(query), "search_text")  # type: ignore[call-arg]  # defaults

    def chunk_neighbours(self, path: str) -> list[Hit]:
        """All chunks of one file in order (for previews)."""
        arrow = (
            self.chunks.search()
            .where(f"path_key = '{path_key(path)}'")
            .select([*HIT_COLUMNS, "ordinal"])
            .limit(1_000_000)
            .to_arrow()
        )
        rows = sorted(arrow.to_pylist(), key=lambda r: r["ordinal"])
        return [_hit(row, score=0.0) for row in rows]


def _hit(row: dict[str, Any], score: float, vector_score: float | None = None) -> Hit:
    return Hit(
        path=row["path"],
        text=row["text"],
        score=float(score),
        chunk_id=row["chunk_id"],
        kind=row["kind"],
        page=row["page"],
        start_line=row["start_line"],
        end_line=row["end_line"],
        heading=row["heading"],
        plugin=row["plugin"],
        file_hash=row["file_hash"],
        vector_score=vector_score,
    )
