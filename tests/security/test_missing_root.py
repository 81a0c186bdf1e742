"""A configured folder whose root is briefly missing (an unmounted disk) keeps its rows and
says so; when it is back nothing is embedded again (issue 15, "also")."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import write
from tests.watch_helpers import Recorder, fast_watch_settings, real_folder, settle, watching
from tuirag.services import Services


def test_a_missing_root_keeps_its_rows_and_returns_without_re_embedding(
    tmp_path: Path, embedder
) -> None:
    disk = real_folder(tmp_path, "usb")
    for i in range(3):
        write(disk / f"trip{i}.md", f"# Trip {i}\n\nWe sailed to island number {i}.\n")
    services = Services(fast_watch_settings(tmp_path / "data"), embedder=embedder)
    indexer = services.indexer([disk])
    assert indexer.sync([disk]).count("indexed") == 3

    away = tmp_path / "away"
    disk.rename(away)  # what unmounting looks like from here: the root is gone at once
    report = indexer.sync([disk])
    assert report.count("removed") == 0
    assert len(services.store.file_records()) == 3 and services.store.count() == 3

    recorder = Recorder()
    with watching(services, [disk], recorder) as (bg, rec):
        settle(bg, rec)
        assert services.store.count() == 3
        assert (
            f"{disk} is missing (an unmounted disk?): its files stay in the index until it "
            "is back; remove it from the folders to forget them"
        ) in rec.notices()
    away.rename(disk)
    back = indexer.sync([disk])
    assert back.count("unchanged") == 3 and back.embedded == 0
