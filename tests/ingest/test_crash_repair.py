"""An ingest interrupted at any write leaves an index that the next run repairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write
from tuirag.backends.store import Store
from tuirag.services import Services

WRITES = ("delete_files", "delete_chunks", "add_chunks", "put_files")


def _snapshot(store: Store) -> list[tuple[str, int, str]]:
    rows = store.rows(["path", "ordinal", "text"])
    return sorted((r["path"], r["ordinal"], r["text"]) for r in rows)


@pytest.mark.parametrize("crash_at", range(1, 7))  # a sync with changes and a delete makes 6 writes
def test_interrupted_ingest_is_repaired(
    crash_at: int, services: Services, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [
        write(docs / f"doc{i}.md", f"# Doc {i}\n\nParagraph about topic {i}.\n") for i in range(4)
    ]
    indexer = services.indexer([docs])
    indexer.sync([docs])
    # change two files, delete one, add one; then crash at the Nth store write
    files[0].write_text("# Doc 0\n\nRewritten text.\n")
    files[1].write_text("# Doc 1\n\nAlso rewritten.\n")
    files[2].unlink()
    write(docs / "new.md", "# New\n\nA new file.\n")
    calls = 0
    store = services.store
    for name in WRITES:
        original = getattr(store, name)

        def failing(*args, _original=original, **kwargs):
            nonlocal calls
            calls += 1
            if calls == crash_at:
                raise KeyboardInterrupt  # what Ctrl-C does mid-write
            return _original(*args, **kwargs)

        monkeypatch.setattr(store, name, failing)
    with pytest.raises(KeyboardInterrupt):
        indexer.sync([docs])
    monkeypatch.undo()

    indexer.sync([docs])

    # the same folder indexed from scratch is what the repaired index must equal
    monkeypatch.setenv("TUIRAG_DATA_DIR", str(docs.parent / "fresh-data"))
    fresh = Services(services.settings, embedder=services.embedder)
    assert fresh.store.folder != store.folder
    fresh.indexer([docs]).sync([docs])
    assert _snapshot(store) == _snapshot(fresh.store)
    records = store.file_records()
    assert sorted(records) == sorted(str(p) for p in docs.iterdir())
    assert all(r.status == "ok" for r in records.values())
