"""A damaged index is reported, never "ok", and `tuirag ingest --repair` recovers it
(issue 15, item 7; issue 13, item 7: a truncated LanceDB fragment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import tuirag
from tests.helpers import write
from tuirag.services import Services


@pytest.fixture
def index(services: Services, docs: Path) -> Path:
    for i in range(6):
        write(docs / f"note{i}.md", f"# Note {i}\n\nThe lighthouse keeper logs storm number {i}.\n")
    assert not services.indexer([docs]).sync([docs]).failed
    return services.store.folder


def _lines(result) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr
    return (result.stdout + result.stderr).splitlines()


def _repaired(docs: Path, expect: str, embedded: int) -> None:
    repair = tuirag("ingest", "--repair", str(docs))
    assert repair.returncode == 0, repair.stderr
    assert f"repair: {expect}" in _lines(repair)
    assert f"({6 if embedded else 0} chunks, {embedded} embedded)" in repair.stdout
    doctor = tuirag("doctor")
    assert [x for x in _lines(doctor) if x.startswith("ok   index: 6 chunks")], doctor.stdout
    search = tuirag("search", "lighthouse storm", "-k", "3")
    assert search.returncode == 0 and "note" in search.stdout


def test_deleted_data_files_fail_doctor_and_search_then_repair_rebuilds(
    index: Path, docs: Path
) -> None:
    for fragment in (index / "lance" / "chunks.lance" / "data").iterdir():
        fragment.unlink()
    assert tuirag("status").returncode == 0  # status reads only the manifest
    doctor = tuirag("doctor")
    assert doctor.returncode == 1
    [line] = [x for x in _lines(doctor) if "index:" in x]
    assert line.startswith("FAIL index: the index tables cannot be read: lance error: Not found")
    assert line.endswith("; run `tuirag ingest --repair`")
    search = tuirag("search", "lighthouse")
    assert search.returncode == 3
    assert _lines(search) == [search.stderr.strip()]
    assert search.stderr.startswith("tuirag: the index cannot be read (")
    _repaired(docs, "the index data was damaged: emptied it; every file is indexed again now", 6)


def test_truncated_search_index_is_rebuilt_without_embedding_again(index: Path, docs: Path) -> None:
    for part in (index / "lance" / "chunks.lance" / "_indices").rglob("*.lance"):
        with part.open("r+b") as fh:
            fh.truncate(10)
    doctor = tuirag("doctor")
    assert doctor.returncode == 1
    assert any(x.startswith("FAIL index: the full-text index is damaged") for x in _lines(doctor))
    _repaired(docs, "rebuilt the damaged search indexes from the index's own data", 0)


def test_garbage_meta_json_is_one_line_everywhere_and_repaired(index: Path, docs: Path) -> None:
    (index / "meta.json").write_text("{garbage")
    for args in (["doctor"], ["status"], ["search", "lighthouse"]):
        result = tuirag(*args)
        assert result.returncode != 0
        assert "meta.json: Expecting property name" in result.stdout + result.stderr
        _lines(result)
    _repaired(docs, "the index data was damaged: emptied it; every file is indexed again now", 6)
