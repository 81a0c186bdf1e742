"""A semantic answer cache that invalidates itself when the cited files change.

An entry is found by the cosine similarity of the stand-alone query's embedding
(≥ answer.cache_similarity), for the same embedder, chat model and prompt
templates. It remembers the file_hash of every file among its sources; when any
of them has been re-indexed with other content, or removed, the entry is deleted
instead of returned. The Answerer also drops a hit whose passages are no longer the
ones retrieval ranks first (`service.still_best`), which catches files added since.
`tuirag ask --no-cache` and the app's regenerate answer afresh. Stored in SQLite in
the data dir; a connection per call, because lookups run in worker threads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tuirag.backends.store import Store
from tuirag.types import Hit

MAX_ENTRIES = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,      -- embedder key, model and prompt templates
    query TEXT NOT NULL,
    vector BLOB NOT NULL,     -- float32 embedding of the query
    answer TEXT NOT NULL,
    sources TEXT NOT NULL,    -- JSON list of Hit fields, in citation order
    files TEXT NOT NULL,      -- JSON {path: file_hash} of the sources' files
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_scope ON answers(scope);
"""


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    query: str
    answer: str
    sources: list[Hit]
    similarity: float


def cache_text(query: str) -> str:
    """What gets embedded for the cache: case, spacing and end punctuation do not matter."""
    return " ".join(query.lower().split()).rstrip("?!. ")


def scope_key(embedder_key: str, model: str, system_prompt: str, user_template: str) -> str:
    raw = "\x00".join((embedder_key, model, system_prompt, user_template))
    return hashlib.sha1(raw.encode()).hexdigest()


_HIT_FIELDS = {f.name for f in dataclasses.fields(Hit)}


def _hits(stored: str) -> list[Hit] | None:
    try:
        return [Hit(**{k: v for k, v in h.items() if k in _HIT_FIELDS}) for h in json.loads(stored)]
    except (TypeError, ValueError):
        return None


class AnswerCache:
    def __init__(self, file: Path, store: Store, scope: str, similarity: float) -> None:
        self.file = file
        self.store = store
        self.scope = scope
        self.similarity = similarity
        file.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.file, timeout=5)

    def lookup(self, vector: np.ndarray) -> CachedAnswer | None:
        """The most similar valid entry at or above the threshold; stale ones are deleted."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT id, query, vector, answer, sources, files FROM answers WHERE scope = ?",
                (self.scope,),
            ).fetchall()
        if not rows:
            return None
        matrix = np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
        query = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
        sims = matrix @ query / np.where(norms == 0, 1.0, norms)
        stale = []
        found = None
        for i in np.argsort(-sims):
            if sims[i] < self.similarity:
                break
            row_id, text, _, answer, sources, files = rows[i]
            wanted: dict[str, str] = json.loads(files)
            self.store.refresh()  # see writes made by `tuirag watch` in another process
            if self.store.file_hashes(list(wanted)) != wanted:
                stale.append(row_id)
                continue
            hits = _hits(sources)
            if hits is None:  # written by a version with another Hit shape
                stale.append(row_id)
                continue
            found = CachedAnswer(text, answer, hits, float(sims[i]))
            break
        if stale:
            with closing(self._connect()) as db, db:
                db.executemany("DELETE FROM answers WHERE id = ?", [(i,) for i in stale])
        return found

    def put(self, query: str, vector: np.ndarray, answer: str, sources: Sequence[Hit]) -> None:
        files = {h.path: h.file_hash for h in sources}
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO answers (scope, query, vector, answer, sources, files, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    self.scope,
                    query,
                    np.asarray(vector, dtype=np.float32).tobytes(),
                    answer,
                    json.dumps([dataclasses.asdict(h) for h in sources], ensure_ascii=False),
                    json.dumps(files, ensure_ascii=False),
                    time.time(),
                ),
            )
            db.execute(
                "DELETE FROM answers WHERE id NOT IN "
                "(SELECT id FROM answers ORDER BY created DESC LIMIT ?)",
                (MAX_ENTRIES,),
            )
