"""Progress counts files: a 3-file folder added while running says "n of 3", not "0 of 1"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write
from tests.watch_helpers import settle, wait_until, watching
from tuirag.ingest.events import Indexing
from tuirag.services import Services

pytestmark = pytest.mark.timeout(120)


def test_a_folder_added_while_running_is_counted_by_its_files(
    services: Services, docs: Path, tmp_path: Path
) -> None:
    added = (tmp_path / "added").resolve()
    for name in ("a", "b", "c"):
        write(added / f"{name}.md", f"# {name}\n\nA note called {name}.\n")
    with watching(services, [docs]) as (bg, rec):
        rec.clear()
        bg.add_folder(added)
        wait_until(lambda: services.store.count() == 3, what="the folder indexed")
        settle(bg, rec)
        counts = [(e.done, e.total) for e in rec.snapshot() if isinstance(e, Indexing)]
    assert counts == [(1, 3), (2, 3), (3, 3)]
