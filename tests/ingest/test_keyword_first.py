"""Keyword first, vectors after; vectors that survive renames and edits; `status` from
the writer's summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import write
from tuirag.cli.main import main
from tuirag.ingest import summary
from tuirag.services import Services

TARGET = "The zanzibarquux valve must be bled every ninth winter before the frost."


def _vector_paths(services: Services, query: str, k: int = 400) -> set[str]:
    hits = services.store.vector_search(services.embedder.embed_query(query), k)
    return {h.path for h in hits}


def test_found_by_keyword_before_its_vectors_then_by_vector_across_a_kill(
    services: Services, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the file to find is the oldest, so its vectors come last (newest files first)
    target = write(docs / "valve.md", f"# Valve\n\n{TARGET}\n")
    os.utime(target, (1_000_000_000, 1_000_000_000))
    for i in range(120):
        write(docs / f"note{i:03d}.md", f"# Note {i}\n\nMeeting {i} moved the budget line {i}.\n")
    store = services.store  # the same data dir as the child (TUIRAG_DATA_DIR)
    child = subprocess.Popen(
        [sys.executable, "-m", "tuirag.cli.main", "ingest", "-q", str(docs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert child.poll() is None, "ingest ended before it could be killed mid-embedding"
            assert time.monotonic() < deadline, "never saw the keyword-only state"
            store.refresh()
            state = summary.read(store.folder)
            embedding = state is not None and state.progress and state.progress.phase == "embedding"
            if embedding and store.count_pending() > 40:
                assert any(h.path == str(target) for h in store.text_search("zanzibarquux", 5))
                break
            time.sleep(0.1)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    store.refresh()
    assert child.returncode == -signal.SIGKILL
    waiting = store.count_pending()
    assert waiting > 0, "killed after the last vector: nothing tested"
    assert str(target) not in _vector_paths(services, TARGET)

    capsys.readouterr()
    assert main(["search", "zanzibarquux", "--mode", "fts", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["path"] == str(target)
    assert main(["search", "when to bleed the valve", "--mode", "hybrid"]) == 0
    assert "the rest are ranked by keyword (BM25) only" in capsys.readouterr().err
    assert main(["status"]) == 0
    shown = capsys.readouterr().out
    assert f"embedded {store.count() - waiting:,} of {store.count():,}" in shown
    assert f"ingest     interrupted (pid {child.pid} is gone)" in shown

    assert main(["ingest", str(docs)]) == 0  # resumes: parses nothing, embeds what is left
    out = capsys.readouterr().out
    assert "0 indexed" in out and "121 unchanged" in out
    assert f"resumed: embedded {waiting} chunks an interrupted run left" in out
    store.refresh()
    assert store.count_pending() == 0
    assert str(target) in _vector_paths(services, TARGET, k=3)
    assert main(["search", "when to bleed the valve", "--mode", "vector", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["path"] == str(target)
    assert main(["status"]) == 0
    shown = capsys.readouterr().out
    assert "embedded" not in shown and "ingest " not in shown  # all done, nothing running


PYTHON = '''import os


def parse_config(path):
    """Read the settings file and return a dict of its keys."""
    with open(path) as fh:
        return dict(line.split("=", 1) for line in fh if "=" in line)


def write_report(rows, out):
    """Write one line per row with its total."""
    for row in rows:
        out.write(f"{row.name}: {sum(row.values)}\\n")


class Cache:
    """Keeps answers for a minute."""

    def get(self, key):
        return self.items.get(key)
'''

MARKDOWN = """# Router manual

Intro text about the XR-5000 router and where it sits in a small office.

## Install

Plug the router in, wait for the green light, then open the admin page.

## Wi-Fi

The router offers 2.4 GHz and 5 GHz bands; pick 5 GHz for short distances.

## Reset

Hold the reset button for ten seconds to restore the factory settings.
"""


@pytest.mark.parametrize(("name", "text"), [("util.py", PYTHON), ("router.md", MARKDOWN)])
def test_rename_and_inserted_line_reuse_vectors(
    services: Services, docs: Path, name: str, text: str
) -> None:
    path = write(docs / name, text)
    indexer = services.indexer([docs])
    first = indexer.sync([docs])
    chunks = first.chunks
    assert chunks >= 3 and first.embedded == chunks

    renamed = path.rename(docs / f"moved-{name}")
    report = indexer.sync([docs])
    assert report.count("indexed") == 1 and report.count("removed") == 1
    assert report.embedded == 0 and report.vectors == 0  # a rename re-embeds nothing

    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if "green light" in line or "def write" in line)
    lines.insert(at, "# a line inserted here" if name.endswith(".py") else "Unplug it first.")
    renamed.write_text("\n".join(lines))
    report = indexer.sync([docs])
    assert report.count("indexed") == 1
    assert report.embedded == report.vectors == 1  # only the chunk whose text changed
    hits = services.store.chunk_neighbours(str(renamed))
    assert len(hits) == chunks
    assert all(str(docs) not in h.text and "moved-" not in h.text for h in hits)


def test_status_counts_skipped_files_and_shows_the_last_change(
    services: Services, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(docs / "a.md", "# A\n\nSome words.\n")
    (docs / "b.bin").write_bytes(bytes(range(256)))
    (docs / "empty.md").write_text("")
    assert main(["ingest", "-q", str(docs)]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["files"] == 1 and first["skipped"] == 2 and first["ingest"] is None
    assert first["embedded"] == first["chunks"] > 0
    time.sleep(1.1)
    assert main(["ingest", "-q", str(docs)]) == 0  # nothing changed
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["last_update"] == first["last_update"]  # the last change, not the last run
    assert again["skipped"] == 2


def _heavy_imports(*argv: str) -> tuple[str, list[str]]:
    """Run `tuirag ARGV` in a fresh interpreter: its output and the heavy modules it loaded."""
    probe = (
        "import sys\nfrom tuirag.cli.main import main\n"
        "try:\n    rc = main(sys.argv[1:])\nexcept SystemExit as exc:\n    rc = exc.code\n"
        "heavy = [m for m in ('lancedb', 'fastembed', 'onnxruntime', 'pyarrow') "
        "if m in sys.modules]\nprint('HEAVY', *heavy)\nsys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out, _, heavy = done.stdout.rpartition("HEAVY")
    return out, heavy.split()


def test_commands_load_only_what_they_use(services: Services, docs: Path) -> None:
    write(docs / "a.md", "# A\n\nSome zebra words.\n")
    assert main(["ingest", "-q", str(docs)]) == 0
    out, heavy = _heavy_imports("status")
    assert "files      1 indexed, 0 failed, 0 skipped" in out and heavy == []
    out, heavy = _heavy_imports("search", "zebra", "--mode", "fts")
    assert str(docs / "a.md") in out
    assert "fastembed" not in heavy and "onnxruntime" not in heavy
    for argv in (["config", "show"], ["plugins"], ["--help"]):
        assert _heavy_imports(*argv)[1] == []


def test_a_no_op_ingest_never_loads_the_model(services: Services, docs: Path) -> None:
    """The tokenizer and the index key come from the index: ONNX Runtime starts only when
    a file has new text to embed, and the output is the same."""
    write(docs / "a.md", "# A\n\nSome zebra words.\n")
    out, heavy = _heavy_imports("ingest", str(docs))
    assert "1 indexed" in out and "onnxruntime" in heavy  # a new index: the model loads
    out, heavy = _heavy_imports("ingest", str(docs))
    assert "fastembed" not in heavy and "onnxruntime" not in heavy
    assert "0 indexed (0 chunks, 0 embedded), 1 unchanged" in out
    assert "nothing changed, nothing re-embedded" in out
    write(docs / "b.md", "# B\n\nA quokka sentence.\n")
    out, heavy = _heavy_imports("ingest", str(docs))
    assert "1 indexed (1 chunks, 1 embedded), 1 unchanged" in out and "onnxruntime" in heavy
    assert str(docs / "b.md") in _vector_paths(services, "quokka")


def test_a_stop_between_embedding_slices_keeps_committed_batches(
    services: Services, docs: Path
) -> None:
    """SIGTERM in `watch` sets stop_requested: embed_pending stops before the next slice,
    writes nothing of that batch, and the next call resumes with what is left."""
    from tuirag.ingest.pipeline import EMBED_SLICE, Interrupted

    for i in range(60):  # distinct texts, so every chunk needs the model
        write(docs / f"n{i:02d}.md", f"# Note {i}\n\nMeeting {i} moved budget line {i * 7}.\n")
    indexer = services.indexer(extra_roots=[docs])
    report = indexer.sync([docs], embed=False)
    assert report.count("indexed") == 60, report.outcomes[:3]
    waiting = services.store.count_pending()
    assert waiting > EMBED_SLICE
    asked = 0

    def stop_on_second_slice() -> bool:
        nonlocal asked
        asked += 1
        return asked > 1

    indexer.stop_requested = stop_on_second_slice
    with pytest.raises(Interrupted):
        indexer.embed_pending()
    assert services.store.count_pending() == waiting  # the batch in hand wrote nothing
    indexer.stop_requested = lambda: False
    assert indexer.embed_pending() == waiting
    assert services.store.count_pending() == 0


def test_the_first_written_chunks_are_found_by_keyword_before_the_pass_ends(
    services: Services,
) -> None:
    """A big first pass must not hide every file until it ends: the text index is built
    with the first batch written (not by the pass's closing optimize) and sees later ones."""
    from tuirag.backends.store import FileRecord, NewChunk
    from tuirag.ingest.pipeline import embed_input, text_hash
    from tuirag.types import Chunk

    store = services.store

    def written(path: str, text: str) -> None:
        record = FileRecord(path, len(text), 1, text_hash(text), chunks=1)
        embedded = embed_input("", text)
        store.write_batch(
            [record], [NewChunk(record, Chunk(text, 0), embedded, text_hash(embedded), None)]
        )

    written("/docs/first.md", TARGET)
    assert [h.path for h in store.text_search("zanzibarquux", 5)] == ["/docs/first.md"]
    written("/docs/second.md", "The quuxvalve gasket is replaced in spring.")
    assert [h.path for h in store.text_search("quuxvalve", 5)] == ["/docs/second.md"]
