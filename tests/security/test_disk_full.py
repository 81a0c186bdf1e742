"""A full disk under the data dir is one line naming it and its free space; what was
indexed before stays readable and consistent, and the next run does the rest without
embedding it again (issue 13, item 4; issue 15, item 8). Runs on a small tmpfs; skipped
where mounting is not allowed."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_run import tuirag

WORDS = [
    "harbour",
    "keeper",
    "storm",
    "light",
    "ship",
    "wave",
    "tide",
    "rope",
    "anchor",
    "beacon",
    "gull",
    "cliff",
]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _corpus(docs: Path, files: int) -> None:
    # the same text in every file: rows fill the disk, but only 6 chunks are embedded
    rng = random.Random(7)
    words = " ".join(f"{rng.choice(WORDS)}{rng.randint(0, 999)}" for _ in range(400))
    for i in range(files):
        (docs / f"log{i:03}.txt").write_text(f"{words}\n")


def test_a_full_disk_is_one_line_and_keeps_what_was_indexed(
    small_disk: Path, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = small_disk / "data"
    monkeypatch.setenv("TUIRAG_DATA_DIR", str(data))
    _corpus(docs, 150)
    full = tuirag("ingest", str(docs))
    assert full.returncode == 3
    assert all(x.startswith(("indexing ", "indexed ")) for x in full.stdout.splitlines())
    [line] = full.stderr.splitlines()
    assert line.startswith(f"tuirag: the disk holding {data} is full (")
    assert " MB free): free some space or set index.data_dir elsewhere;" in line

    status = tuirag("status", "--json")
    assert status.returncode == 0, status.stderr
    kept = json.loads(status.stdout)["files"]
    assert 0 < kept < 150
    doctor = tuirag("doctor")
    # each log is 6 chunks and, this close to full, each file is its own commit: every
    # file with a record has all its chunks, and at most the file being written when
    # the disk filled left chunks without a record (the delete that would take them
    # back needs disk space too); the next run removes them (below: exactly 900)
    counted = [x for x in doctor.stdout.splitlines() if x.startswith("ok   index: ")]
    assert counted and counted[0].split()[2] in (f"{kept * 6}", f"{(kept + 1) * 6}"), doctor.stdout

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    rest = tuirag("ingest", str(docs))
    assert rest.returncode == 0, rest.stderr
    summary = rest.stdout.splitlines()[-1]
    # keyword first: the kept files may still wait for their vectors, so "embedded" varies
    assert summary.startswith(f"{150 - kept} indexed ({(150 - kept) * 6} chunks, ")
    assert f"{kept} unchanged" in rest.stdout
    doctor = tuirag("doctor")
    assert any(x.startswith("ok   index: 900 chunks") for x in doctor.stdout.splitlines())


def test_no_room_even_for_the_lock_file_is_one_line(
    small_disk: Path, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUIRAG_DATA_DIR", str(small_disk / "data"))
    _corpus(docs, 2)
    (small_disk / "filler").write_bytes(b"\0" * (3 * 2**20))  # fills it (tmpfs caps the write)
    result = tuirag("ingest", str(docs))
    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert line.startswith("tuirag: the disk "), line
