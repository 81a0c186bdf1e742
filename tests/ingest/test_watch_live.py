"""Folder watching with a real watchdog observer, real files and the real index.

Every wait polls the index with a timeout; nothing sleeps and hopes.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from watchdog.events import FileModifiedEvent
from watchdog.observers import Observer

from tests.helpers import write
from tests.watch_helpers import (
    Recorder,
    assert_consistent,
    disk_files,
    fast_watch_settings,
    indexed_text,
    real_folder,
    settle,
    wait_until,
    watching,
)
from tuirag.cli.main import main
from tuirag.config import Settings
from tuirag.ingest import watchstate
from tuirag.ingest.events import Done, Indexing, Queued
from tuirag.ingest.watcher import NETWORK_FS, Watcher, _Handler, filesystem_type
from tuirag.services import Services

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fast_watch_settings(tmp_path / "data")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return real_folder(tmp_path)


def test_new_file_and_edit_become_searchable(services: Services, docs: Path) -> None:
    write(docs / "a.md", "# Birds\n\nThe kestrel hovers over fields.\n")
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        assert "kestrel" in indexed_text(store)[str(docs / "a.md")]
        write(docs / "b.md", "# Boats\n\nA catamaran has two hulls.\n")
        wait_until(lambda: str(docs / "b.md") in indexed_text(store), what="b.md indexed")
        write(docs / "a.md", "# Birds\n\nThe osprey dives for fish.\n")
        wait_until(lambda: "osprey" in indexed_text(store).get(str(docs / "a.md"), ""), what="edit")
        hits = services.retriever.search("which bird dives for fish", 3).hits
        assert hits[0].path == str(docs / "a.md") and "osprey" in hits[0].text
        settle(bg, rec)
        kinds = {type(e) for e in rec.snapshot()}
        assert {Queued, Indexing, Done} <= kinds
        assert_consistent(store)


def test_atomic_save_storm_indexes_the_final_content_once(
    services: Services, settings: Settings, docs: Path
) -> None:
    settings.watch.debounce_ms = 600  # a save every 20 ms never looks quiet, even on a busy CPU
    target = docs / "a.md"
    write(target, "# Notes\n\nversion start\n")
    with watching(services, [docs]) as (bg, rec):
        rec.clear()
        started = time.monotonic()
        for i in range(50):  # an editor's write-temp-then-rename, 50 times in about a second
            if i % 2:
                tmp = docs / f"a.md.tmp{i}"  # matched by the built-in temp patterns
                tmp.write_text(f"# Notes\n\nversion {i} of the storm\n")
            else:  # an unpredictable temp name, as atomic-write libraries make
                fd, name = tempfile.mkstemp(dir=docs, prefix=".a.md.")
                os.write(fd, f"# Notes\n\nversion {i} of the storm\n".encode())
                os.close(fd)
                tmp = Path(name)
            os.replace(tmp, target)
            time.sleep(0.02)  # the pace of the storm itself, not a wait for the result
        assert time.monotonic() - started < 3
        store = services.store
        wait_until(
            lambda: "version 49 of" in indexed_text(store).get(str(target), ""),
            what="the final content indexed",
        )
        settle(bg, rec)
        assert len(rec.outcomes("indexed", target)) == 1
        assert set(indexed_text(store)) == {str(target)}  # no rows for any temp name
        assert set(store.file_records()) == {str(target)}


def test_a_file_still_being_copied_is_read_once_it_is_complete(
    services: Services, settings: Settings, docs: Path
) -> None:
    settings.watch.debounce_ms = 600
    target = docs / "big.md"
    with watching(services, [docs]) as (bg, rec):
        with target.open("w") as fh:  # a created event, then a second of appends
            for i in range(25):
                fh.write(f"Paragraph {i} of a long copied file about lighthouses.\n\n")
                fh.flush()
                time.sleep(0.04)  # the copy's own pace
            fh.write("The last line arrives at the end.\n")
        store = services.store
        wait_until(lambda: "last line" in indexed_text(store).get(str(target), ""), what="copy")
        settle(bg, rec)
        assert len(rec.outcomes("indexed", target)) == 1  # not once per partial read


def test_vim_style_backup_rename_then_rewrite(services: Services, docs: Path) -> None:
    target = docs / "a.md"
    write(target, "# Plan\n\nOld plan: walk to the lake.\n")
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        (docs / "4913").write_text("")  # vim's probe file
        (docs / "4913").unlink()
        os.rename(target, docs / "a.md~")  # vim's backup
        write(target, "# Plan\n\nNew plan: cycle to the harbour.\n")
        (docs / "a.md~").unlink()
        wait_until(lambda: "harbour" in indexed_text(store).get(str(target), ""), what="rewrite")
        settle(bg, rec)
        assert set(indexed_text(store)) == {str(target)}
        assert set(store.file_records()) == {str(target)}
        assert not rec.outcomes("removed", target)  # the delete settled into an edit
        assert_consistent(store)


def test_jetbrains_safe_write_leaves_no_temp_rows(services: Services, docs: Path) -> None:
    target = docs / "a.md"
    write(target, "# Plan\n\nFirst draft of the plan.\n")
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        write(docs / "a.md___jb_tmp___", "# Plan\n\nSecond draft, saved safely.\n")
        os.rename(target, docs / "a.md___jb_old___")
        os.rename(docs / "a.md___jb_tmp___", target)
        wait_until(lambda: "Second draft" in indexed_text(store).get(str(target), ""), what="save")
        (docs / "a.md___jb_old___").unlink()
        settle(bg, rec)
        assert set(store.file_records()) == {str(target)}
        queued = {e.path for e in rec.snapshot() if isinstance(e, Queued)}
        assert queued == {str(target)}  # the temp names never even entered the queue


def test_rename_reuses_every_vector(services: Services, docs: Path) -> None:
    steps = (f"Step {i}: stir the pot for {i} minutes." for i in range(40))
    text = "# Recipe\n\n" + "\n\n".join(steps)
    write(docs / "soup.md", text)
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        before = indexed_text(store)[str(docs / "soup.md")]
        rec.clear()
        os.rename(docs / "soup.md", docs / "stew.md")
        wait_until(lambda: set(indexed_text(store)) == {str(docs / "stew.md")}, what="rename")
        settle(bg, rec)
        (outcome,) = rec.outcomes("indexed", docs / "stew.md")
        assert outcome.chunks > 1 and outcome.embedded == 0
        assert rec.outcomes("removed", docs / "soup.md")
        assert indexed_text(store)[str(docs / "stew.md")] == before
        assert_consistent(store)


def test_move_out_of_and_into_the_tree(services: Services, docs: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(docs / "leaving.md", "# Leaving\n\nThis note moves away.\n")
    write(outside / "arriving.md", "# Arriving\n\nThis note moves in.\n")
    write(outside / "folder" / "one.md", "# One\n\nFirst of a moved folder.\n")
    write(outside / "folder" / "deep" / "two.md", "# Two\n\nSecond of a moved folder.\n")
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        shutil.move(docs / "leaving.md", outside / "leaving.md")
        shutil.move(outside / "arriving.md", docs / "arriving.md")
        shutil.move(outside / "folder", docs / "folder")
        expected = {
            str(docs / "arriving.md"),
            str(docs / "folder" / "one.md"),
            str(docs / "folder" / "deep" / "two.md"),
        }
        wait_until(lambda: set(indexed_text(store)) == expected, what="moves in and out")
        settle(bg, rec)
        assert set(store.file_records()) == expected
        assert_consistent(store)


def test_folder_delete_and_folder_rename(services: Services, docs: Path) -> None:
    for i in range(3):
        write(docs / "old" / f"n{i}.md", f"# Note {i}\n\nAbout the number {i}.\n")
        write(docs / "gone" / f"g{i}.md", f"# Gone {i}\n\nWill be deleted, {i}.\n")
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        rec.clear()
        shutil.rmtree(docs / "gone")
        os.rename(docs / "old", docs / "new")
        expected = {str(docs / "new" / f"n{i}.md") for i in range(3)}
        wait_until(lambda: set(indexed_text(store)) == expected, what="delete and rename")
        settle(bg, rec)
        assert set(store.file_records()) == expected
        assert sum(o.embedded for o in rec.outcomes("indexed")) == 0  # renamed, not re-embedded
        assert_consistent(store)


def test_ignore_and_secret_rules_apply_to_events(services: Services, docs: Path) -> None:
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        write(docs / ".env", "API_TOKEN=abc\n")
        write(docs / "id_rsa", "not really a key\n")
        write(docs / "node_modules" / "pkg" / "readme.md", "# Pkg\n\nVendored.\n")
        write(docs / "node_modules" / "pkg" / ".gitignore", "*.log\n")
        write(docs / "notes.md.swp", "swap\n")
        write(docs / "leak.md", "# Keys\n\nAWS key AKIAABCDEFGHIJKLMNOP here.\n")
        write(docs / "fine.md", "# Fine\n\nAn ordinary note about tea.\n")
        wait_until(lambda: str(docs / "fine.md") in indexed_text(store), what="fine.md")
        wait_until(lambda: rec.outcomes("skipped", docs / "leak.md"), what="the secret scan")
        settle(bg, rec)
        assert set(indexed_text(store)) == {str(docs / "fine.md")}
        assert "AWS access key" in rec.outcomes("skipped", docs / "leak.md")[0].reason
        seen = {e.path for e in rec.snapshot() if isinstance(e, Queued)}
        assert not seen & {str(docs / ".env"), str(docs / "id_rsa"), str(docs / "notes.md.swp")}
        assert not any("node_modules" in p for p in seen)


def test_gitignore_change_takes_effect(services: Services, docs: Path) -> None:
    write(docs / "keep.md", "# Keep\n\nAlways indexed.\n")
    write(docs / "drafts" / "d1.md", "# Draft\n\nHalf an idea.\n")
    write(docs / "scratch.md", "# Scratch\n\nScribbles.\n")
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        everything = {str(docs / n) for n in ("keep.md", "drafts/d1.md", "scratch.md")}
        assert set(indexed_text(store)) == everything
        write(docs / ".gitignore", "drafts/\nscratch.md\n")
        kept = {str(docs / "keep.md"), str(docs / ".gitignore")}  # a text file like any other
        wait_until(lambda: set(indexed_text(store)) == kept, what="newly ignored files removed")
        write(docs / "drafts" / "d2.md", "# Draft 2\n\nIgnored from birth.\n")
        (docs / ".gitignore").write_text("scratch.md\n")
        expected = kept | {str(docs / "drafts" / "d1.md"), str(docs / "drafts" / "d2.md")}
        wait_until(lambda: set(indexed_text(store)) == expected, what="un-ignored")
        settle(bg, rec)
        assert_consistent(store)


def test_files_changing_during_the_startup_scan(services: Services, docs: Path) -> None:
    for i in range(40):
        write(docs / f"f{i:02}.md", f"# File {i}\n\nOriginal text number {i}.\n")
    changed = False

    def meddle(event: object) -> None:
        """On the scan's first result, while it is running: add, edit and delete files."""
        nonlocal changed
        if changed or not isinstance(event, Done):
            return
        changed = True
        for i in range(5):
            write(docs / f"new{i}.md", f"# New {i}\n\nAppeared during the scan {i}.\n")
        write(docs / "f39.md", "# File 39\n\nEdited during the scan.\n")
        (docs / "f38.md").unlink()
        write(docs / "f00.md", "# File 0\n\nEdited after it was scanned.\n")

    with watching(services, [docs], Recorder(also=meddle)) as (bg, rec):
        store = services.store
        wait_until(lambda: set(indexed_text(store)) == disk_files(docs), what="index == disk")
        wait_until(
            lambda: "Edited after" in indexed_text(store).get(str(docs / "f00.md"), ""), what="f00"
        )
        settle(bg, rec)
        text = indexed_text(store)
        assert "Edited during the scan" in text[str(docs / "f39.md")]
        assert set(store.file_records()) == disk_files(docs)
        assert_consistent(store)


def test_deleted_root_empties_and_recreated_root_is_watched_again(
    services: Services, docs: Path
) -> None:
    write(docs / "a.md", "# A\n\nThe first life of the folder.\n")
    with watching(services, [docs], supervise_s=0.2) as (bg, rec):
        store = services.store
        shutil.rmtree(docs)
        wait_until(lambda: not indexed_text(store), what="the deleted root's files removed")
        wait_until(lambda: any("is gone" in n for n in rec.notices()), what="a notice")
        write(docs / "b.md", "# B\n\nThe second life of the folder.\n")
        wait_until(lambda: set(indexed_text(store)) == {str(docs / "b.md")}, what="rewatched")
        write(docs / "c.md", "# C\n\nLive events work again.\n")
        wait_until(lambda: str(docs / "c.md") in indexed_text(store), what="live after restart")
        assert any("watching" in n and "again" in n for n in rec.notices())
        settle(bg, rec)
        assert_consistent(store)


def test_an_observer_that_dies_is_restarted_and_its_folder_rescanned(
    services: Services, docs: Path
) -> None:
    with watching(services, [docs], supervise_s=0.2) as (bg, rec):
        observer = bg._watcher._watches[docs].observer  # type: ignore[union-attr]
        observer.stop()  # what an EBUSY does to a PollingObserver (watchdog #1065)
        observer.join(5)
        write(docs / "missed.md", "# Missed\n\nWritten while nothing was watching.\n")
        wait_until(lambda: str(docs / "missed.md") in indexed_text(services.store), what="rescan")
        assert any("watching" in n and "again" in n for n in rec.notices())
        assert str(docs) in {e.path for e in rec.snapshot() if isinstance(e, Queued)}  # rescan
        write(docs / "live.md", "# Live\n\nSeen by the new observer.\n")
        wait_until(lambda: str(docs / "live.md") in indexed_text(services.store), what="events")


def test_the_poller_does_not_walk_ignored_folders(services: Services, docs: Path) -> None:
    for folder in (".git", "node_modules", "src"):
        write(docs / folder / "x.md", "x\n")
    write(docs / "top.md", "top\n")
    watcher = Watcher(services.rules([docs]), lambda path, kind: None, lambda msg, level: None)
    assert sorted(e.name for e in watcher.listdir(str(docs))) == ["src", "top.md"]


def test_a_root_moved_away_leaves_the_index_and_its_replacement_is_watched(
    services: Services, docs: Path, tmp_path: Path
) -> None:
    write(docs / "a.md", "# A\n\nIn the folder that moves away.\n")
    with watching(services, [docs], supervise_s=0.2) as (bg, rec):
        store = services.store
        os.rename(docs, tmp_path / "moved")  # inotify keeps watching the moved folder
        wait_until(lambda: not indexed_text(store), what="the moved root's files removed")
        write(docs / "b.md", "# B\n\nA new folder under the old name.\n")
        wait_until(lambda: set(indexed_text(store)) == {str(docs / "b.md")}, what="the new root")
        write(tmp_path / "moved" / "c.md", "# C\n\nWritten in the moved folder.\n")
        write(docs / "d.md", "# D\n\nLive in the new folder.\n")
        wait_until(lambda: str(docs / "d.md") in indexed_text(store), what="live events")
        settle(bg, rec)
        assert set(store.file_records()) == {str(docs / "b.md"), str(docs / "d.md")}


class _NoWatchesLeft(Observer):  # type: ignore[misc,valid-type]
    """An inotify observer on a machine whose watch limit is used up."""

    def start(self) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_inotify_limit_falls_back_to_polling_and_says_so(
    services: Services, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = functools.partial(Watcher, observer_factory=_NoWatchesLeft)
    with watching(services, [docs], watcher_factory=factory) as (_, rec):
        notice = next(n for n in rec.notices() if "polling" in n)
        assert "fs.inotify.max_user_watches" in notice and str(docs) in notice
        state = watchstate.read(services.store.folder)
        assert state is not None and state["pid"] == os.getpid()
        assert "max_user_watches" in watchstate.polled(state)[str(docs)]
        write(docs / "p.md", "# Polled\n\nFound by polling, not by inotify.\n")
        wait_until(lambda: str(docs / "p.md") in indexed_text(services.store), what="polled file")
        capsys.readouterr()
        main(["status"])
        main(["doctor"])
        shown = capsys.readouterr().out
        assert f"watching   pid {os.getpid()}: 1 folders" in shown
        assert shown.count(f"{docs}: polling: the inotify watch limit is reached") == 2
    assert watchstate.read(services.store.folder) is None  # stopping clears the state


def test_symlinks_are_not_followed_out_of_the_root_and_loops_end(
    services: Services, settings: Settings, docs: Path, tmp_path: Path
) -> None:
    settings.index.follow_symlinks = True
    secret_dir = tmp_path / "elsewhere"
    write(secret_dir / "private.md", "# Private\n\nOutside the watched folder.\n")
    write(docs / "real" / "inside.md", "# Inside\n\nA real file inside.\n")
    os.symlink(docs, docs / "loop")  # a loop back to the root
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        os.symlink(secret_dir / "private.md", docs / "out.md")  # out of the root: refused
        os.symlink(secret_dir, docs / "outdir")
        os.symlink(docs / "real" / "inside.md", docs / "alias.md")  # inside: a duplicate
        os.symlink(docs / "real", docs / "again")  # a folder already indexed
        settle(bg, rec)
        bg.reindex()
        wait_until(lambda: rec.idles() >= 3, what="a rescan")
        paths = set(indexed_text(store))
        assert paths == {str(docs / "real" / "inside.md")}  # once, under its real path
        assert not any("private" in p or "outdir" in p for p in paths)
        assert_consistent(store)


def test_a_root_reached_through_a_symlink_is_one_folder_to_ingest_and_watch(
    services: Services, tmp_path: Path
) -> None:
    real = tmp_path / "real"
    write(real / "a.md", "# Alpha\n\nThe first letter.\n")
    os.symlink(real, tmp_path / "link")
    assert main(["ingest", "-q", str(tmp_path / "link")]) == 0
    with watching(services, [tmp_path / "link"]) as (bg, rec):
        store = services.store
        target = real.resolve() / "a.md"
        assert rec.outcomes("unchanged", target)  # ingest's rows, not new ones
        write(real / "a.md", "# Alpha\n\nThe first letter, edited.\n")
        wait_until(lambda: "edited" in indexed_text(store).get(str(target), ""), what="edit")
        settle(bg, rec)
        assert set(store.file_records()) == {str(target)}
        assert_consistent(store)


def test_a_quote_in_a_file_name_cannot_widen_a_delete(services: Services, docs: Path) -> None:
    tricky = docs / "a' OR '1'='1.md"
    write(tricky, "# Tricky\n\nA file with a quote in its name.\n")
    write(docs / "plain.md", "# Plain\n\nAn ordinary file.\n")
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        assert set(indexed_text(store)) == {str(tricky), str(docs / "plain.md")}
        tricky.unlink()
        wait_until(lambda: set(indexed_text(store)) == {str(docs / "plain.md")}, what="delete")
        settle(bg, rec)
        assert set(store.file_records()) == {str(docs / "plain.md")}


def test_forced_reindex_parses_every_file_again_and_a_rescan_skips_them(
    services: Services, docs: Path
) -> None:
    write(docs / "a.md", "# Birds\n\nThe kestrel hovers over fields.\n")
    write(docs / "sub" / "b.md", "# Boats\n\nA catamaran has two hulls.\n")
    write(docs / "c.txt", "Plain notes about pears.\n")
    names = {"a.md", "b.md", "c.txt"}

    def outcomes(rec: Recorder) -> dict[str, tuple[str, int]]:
        return {Path(o.path).name: (o.status, o.embedded) for o in rec.outcomes()}

    def progress(rec: Recorder) -> list[tuple[int, int]]:
        return [(e.done, e.total) for e in rec.snapshot() if isinstance(e, Indexing)]

    with watching(services, [docs]) as (bg, rec):
        rec.clear()
        bg.reindex(docs, force=True)
        settle(bg, rec)
        # parsed and written again; the text is the same, so every vector is reused
        assert outcomes(rec) == {name: ("indexed", 0) for name in names}
        assert progress(rec) == [(1, 3), (2, 3), (3, 3)]
        kinds = [type(e) for e in rec.snapshot() if isinstance(e, Indexing | Done)]
        # each file counts as it is parsed, not when its batch is written (one batch here)
        assert kinds == [Indexing] * 3 + [Done] * 3

        rec.clear()
        bg.reindex(docs)  # a plain rescan
        settle(bg, rec)
        assert outcomes(rec) == {name: ("unchanged", 0) for name in names}
        assert progress(rec) == [(1, 3), (2, 3), (3, 3)]

        rec.clear()
        bg.reindex(force=True)  # every folder
        settle(bg, rec)
        assert outcomes(rec) == {name: ("indexed", 0) for name in names}
        hits = services.retriever.search("which boat has two hulls", 1).hits
        assert hits[0].path == str(docs / "sub" / "b.md")
        assert_consistent(services.store)


def test_folders_added_and_removed_while_running(
    services: Services, docs: Path, tmp_path: Path
) -> None:
    other = (tmp_path / "other").resolve()
    write(other / "o.md", "# Other\n\nA note in the second folder.\n")
    write(docs / "d.md", "# Docs\n\nA note in the first folder.\n")
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        assert set(indexed_text(store)) == {str(docs / "d.md")}
        bg.add_folder(other)
        wait_until(lambda: str(other / "o.md") in indexed_text(store), what="added folder")
        write(other / "live.md", "# Live\n\nWritten after the folder was added.\n")
        wait_until(lambda: str(other / "live.md") in indexed_text(store), what="its events")
        bg.remove_folder(other, forget=True)
        wait_until(lambda: set(indexed_text(store)) == {str(docs / "d.md")}, what="forgotten")
        write(other / "ignored.md", "# Ignored\n\nNobody watches this folder now.\n")
        write(docs / "d2.md", "# Docs 2\n\nStill watched.\n")
        wait_until(lambda: str(docs / "d2.md") in indexed_text(store), what="docs still watched")
        settle(bg, rec)
        assert str(other / "ignored.md") not in indexed_text(store)
        assert_consistent(store)


def test_removing_an_outer_folder_keeps_a_still_watched_inner_one(
    services: Services, docs: Path
) -> None:
    inner = docs / "project"
    write(docs / "outer.md", "# Outer\n\nOnly the outer folder holds this.\n")
    write(inner / "inner.md", "# Inner\n\nThe inner folder is watched on its own too.\n")
    with watching(services, [docs, inner]) as (bg, rec):
        store = services.store
        assert set(indexed_text(store)) == {str(docs / "outer.md"), str(inner / "inner.md")}
        bg.remove_folder(docs, forget=True)
        wait_until(lambda: str(docs / "outer.md") not in indexed_text(store), what="forgotten")
        idles = rec.idles()
        bg.reindex()
        wait_until(lambda: rec.idles() > idles, what="a rescan")
        assert set(indexed_text(store)) == {str(inner / "inner.md")}
        assert not rec.outcomes("indexed", inner / "inner.md")[1:]  # never embedded again
        assert_consistent(store)


def test_periodic_reconcile_repairs_what_no_event_reported(
    services: Services, settings: Settings, docs: Path
) -> None:
    settings.watch.poll_folders = [str(docs)]
    settings.watch.poll_interval_s = 600  # the poller will not look again during this test
    settings.watch.reconcile_minutes = 0.02  # a rescan every 1.2 s
    write(docs / "a.md", "# A\n\nBefore.\n")
    with watching(services, [docs]) as (bg, rec):
        write(docs / "a.md", "# A\n\nChanged without an event reaching us.\n")
        write(docs / "b.md", "# B\n\nAdded without an event reaching us.\n")
        wait_until(
            lambda: (
                "without an event" in indexed_text(services.store).get(str(docs / "a.md"), "")
                and str(docs / "b.md") in indexed_text(services.store)
            ),
            what="the periodic reconcile",
        )
        settle(bg, rec)  # a reader can see a batch's chunks a moment before its records
        assert_consistent(services.store)


def test_queue_overflow_turns_into_one_full_rescan(
    services: Services, settings: Settings, docs: Path
) -> None:
    settings.watch.max_pending = 5
    settings.watch.debounce_ms = 1000  # the burst is queued before anything is due
    with watching(services, [docs]) as (bg, rec):
        for i in range(30):
            write(docs / f"burst{i:02}.md", f"# Burst {i}\n\nOne of thirty files at once, {i}.\n")
        wait_until(lambda: set(indexed_text(services.store)) == disk_files(docs), what="all 30")
        settle(bg, rec)
        assert any("too many changes" in n for n in rec.notices())
        assert len(rec.outcomes("indexed")) == 30  # each file once, by the rescan
        assert_consistent(services.store)


def test_a_failed_write_is_retried_with_backoff(
    services: Services, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with watching(services, [docs]) as (bg, rec):
        store = services.store
        real_add = store.add_chunks
        calls = 0

        def conflict_once(rows: list) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:  # what another writer ignoring the lock would cause (lancedb #1504)
                raise RuntimeError("Commit conflict for version 7: failed after 5 retries")
            real_add(rows)

        monkeypatch.setattr(store, "add_chunks", conflict_once)
        write(docs / "a.md", "# Retry\n\nIndexed on the second try.\n")
        wait_until(lambda: str(docs / "a.md") in indexed_text(store), what="the retry")
        assert any("Commit conflict" in n and "retrying in 2 s" in n for n in rec.notices())
        settle(bg, rec)
        assert_consistent(store)


def test_a_touch_without_change_embeds_nothing(services: Services, docs: Path) -> None:
    target = write(docs / "a.md", "# Same\n\nThe content never changes.\n")
    with watching(services, [docs]) as (bg, rec):
        rec.clear()
        os.utime(target, (time.time() + 5, time.time() + 5))  # `touch`: a new mtime only
        wait_until(lambda: rec.outcomes("unchanged", target), what="the touch noticed")
        settle(bg, rec)
        assert not rec.outcomes("indexed")
        record = services.store.file_records()[str(target)]
        assert record.mtime_ns == target.stat().st_mtime_ns  # next time: no hashing either


def test_a_handler_error_never_ends_dispatch(docs: Path) -> None:
    """An exception inside a watchdog handler would stop its dispatch for good (#793)."""
    queued: list[tuple[str, str]] = []

    def broken_rules() -> object:
        raise RuntimeError("a bug while filtering")

    handler = _Handler(docs, broken_rules, lambda path, kind: queued.append((path, kind)))  # type: ignore[arg-type]
    handler.dispatch(FileModifiedEvent(str(docs / "a.md")))  # logged, not raised
    handler.dispatch(FileModifiedEvent(str(docs / ".gitignore")))
    assert queued == [(str(docs), "tree")]  # the root's own .gitignore needs no rule check


def test_network_mounts_are_recognised_from_the_mount_table() -> None:
    assert filesystem_type(Path("/proc/self")) == "proc"
    assert "nfs4" in NETWORK_FS and "fuse.sshfs" in NETWORK_FS
