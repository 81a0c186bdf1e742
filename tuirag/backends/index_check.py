"""Is the index on disk whole? `tuirag doctor` asks; `tuirag ingest --repair` acts on it.

LanceDB lists row counts from its manifests, so a deleted data file or a truncated
index file only shows when the bytes are read. The check reads them: every row of
both tables, then a text query (the FTS index), a lookup by path (the B-tree index)
and a vector query.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from tuirag.backends.store import Store, StoreError
from tuirag.errors import lance_reason


@dataclass(frozen=True)
class Damage:
    what: str  # one line for the user
    search_index_only: bool  # the table data is whole: rebuilding the search indexes fixes it


def check(store: Store) -> list[Damage]:
    """What is broken in `store`; empty when every table and search index reads."""
    try:
        rows = store.readable_rows()
    except Exception as exc:  # lance raises OSError, RuntimeError or ValueError
        return [Damage(f"the index tables cannot be read: {lance_reason(exc)}", False)]
    damage = [
        Damage(f"the {name} table lists {listed} rows but {readable} read", False)
        for name, (listed, readable) in rows.items()
        if listed != readable
    ]
    row = None if damage else store.sample_chunk()
    if row is None:
        return damage
    word = next(iter(re.findall(r"\w{3,}", row["search_text"])), "")
    probes = [
        ("the full-text index", lambda: store.text_search(word, 1)),
        ("the path index", lambda: store.chunk_neighbours(row["path"])),
    ]
    if row["embedded"]:  # vectors still pending (keyword first) are not damage
        probes.append(("the vector search", lambda: store.vector_search(row["vector"], 1)))
    for what, probe in probes:
        try:
            probe()
        except Exception as exc:
            damage.append(Damage(f"{what} is damaged: {lance_reason(exc)}", True))
    return damage


def open_and_check(folder: Path, embedder_key: str, dim: int) -> tuple[Store | None, list[Damage]]:
    """The store and its damage; no store when it cannot even be opened."""
    try:
        store = Store(folder, embedder_key, dim)
    except StoreError as exc:
        return None, [Damage(str(exc), False)]
    return store, check(store)


def repair(folder: Path, embedder_key: str, dim: int) -> str:
    """Make the index usable again; returns what was done, in one line.

    Broken search indexes are dropped and rebuilt from the table data (seconds).
    Broken table data cannot be trusted: the index is emptied, and the caller's
    ingest rebuilds it from the files on disk (every file is embedded again).
    The caller holds the writer lock.
    """
    store, damage = open_and_check(folder, embedder_key, dim)
    if not damage:
        return "the index reads whole; nothing to repair"
    if store is not None and all(d.search_index_only for d in damage):
        store.drop_search_indexes()
        store.optimize()
        if not check(store):
            return "rebuilt the damaged search indexes from the index's own data"
    for part in ("lance", "meta.json", "summary.json"):  # the summary counts the old rows
        path = folder / part
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return "the index data was damaged: emptied it; every file is indexed again now"
