"""A file name that is not UTF-8 (`latin\\xe9name.txt`) is skipped with one line; it never
blocks the rest of the folder, in `ingest` or in `watch` (issue 15, item 4)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.cli_run import tuirag
from tests.watch_helpers import Recorder, fast_watch_settings, real_folder, settle, watching
from tuirag.services import Services

LATIN = b"latin\xe9name.txt"


def _folder(docs: Path) -> Path:
    for i in range(3):
        (docs / f"ok{i}.md").write_text(f"# Fine {i}\n\nA fine file number {i}.\n")
    with open(os.path.join(os.fsencode(docs), LATIN), "wb") as fh:
        fh.write(b"text in a file whose name is latin-1\n")
    os.mkdir(os.path.join(os.fsencode(docs), b"dir\xff"))
    with open(os.path.join(os.fsencode(docs), b"dir\xff", b"inner.md"), "wb") as fh:
        fh.write(b"# Inner\n\ninside a folder whose name is not UTF-8\n")
    return docs


def test_ingest_skips_the_undecodable_names_and_indexes_the_rest(docs: Path) -> None:
    _folder(docs)
    result = tuirag("ingest", str(docs))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    why = "file name is not valid UTF-8: rename it (e.g. `convmv -f latin1 -t utf8`)"
    assert f"skipped: {docs}/latin\\xe9name.txt: {why}" in lines
    assert f"skipped: {docs}/dir\\xff/inner.md: {why}" in lines
    assert lines[-1].startswith("3 indexed (3 chunks")
    again = tuirag("ingest", str(docs))  # and the next run is not blocked either
    assert again.returncode == 0 and "3 unchanged" in again.stdout


def test_watch_skips_it_once_and_keeps_indexing(tmp_path: Path, embedder) -> None:
    docs = _folder(real_folder(tmp_path))
    services = Services(fast_watch_settings(tmp_path / "data"), embedder=embedder)
    with watching(services, [docs], Recorder()) as (bg, recorder):
        settle(bg, recorder)
        assert len(recorder.outcomes("indexed")) == 3
        assert len(recorder.outcomes("skipped")) == 2
        (docs / "later.md").write_text("# Later\n\nwritten while watching\n")
        with open(os.path.join(os.fsencode(docs), LATIN), "ab") as fh:
            fh.write(b"more\n")
        time.sleep(0.5)
        settle(bg, recorder)
        assert recorder.outcomes("indexed", docs / "later.md")
        assert not [n for n in recorder.notices() if "failed" in n]  # no retry loop
    assert services.store.count() == 4
