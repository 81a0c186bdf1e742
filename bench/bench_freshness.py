#!/usr/bin/env python3
"""Freshness (file saved -> searchable) and the CPU cost of idle watching.

Freshness: a BackgroundIndexer watches a folder with the default settings
(debounce 400 ms); the script saves a file (new ones and edits of existing ones,
alternately), then polls full-text search for a word only that save contains, and
times save -> first hit. Debounce is part of the figure: that is what a user waits.

Idle CPU: a folder of 10,000 files in 100 sub-folders (--quick: 2,000) is indexed,
then watched while nothing changes; the CPU time of the whole process (all threads)
over the idle window, divided by the window, is the idle cost. Then the watcher is
restarted: its reconcile scan finds nothing changed (what a daemon restart costs). Measured for OS
events (inotify) and for polling the same folder (watch.poll_folders), side by side.
The files repeat 50 texts, so the vectors are reused and the set-up is quick; the
watcher's cost does not depend on what the files say.

    .venv/bin/python bench/bench_freshness.py [--quick] [--saves N] [--idle S] [--json PATH]
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import machine, median, parser, percentile, report, write_json

from tuirag.config import Settings
from tuirag.ingest.background import BackgroundIndexer
from tuirag.ingest.events import Idle, IndexEvent
from tuirag.services import Services


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--saves", type=int, help="saves to time (default 40, quick 12)")
    p.add_argument("--idle", type=float, help="idle window in seconds (default 60, quick 15)")
    args = p.parse_args()
    saves = args.saves or (12 if args.quick else 40)
    idle_s = args.idle or (15.0 if args.quick else 60.0)
    files = 2_000 if args.quick else 10_000
    work = Path(tempfile.mkdtemp(prefix="tuirag-bench-fresh-"))
    try:
        info = machine()
        fresh = freshness(work / "fresh", saves)
        report(
            f"Freshness: save -> searchable, {saves} saves, debounce 400 ms",
            ["what", "p50 s", "p95 s", "max s"],
            [["new file", *_stats(fresh["new"])], ["edit", *_stats(fresh["edit"])],
             ["all", *_stats(fresh["new"] + fresh["edit"])]],
        )  # fmt: skip
        idle = {m: idle_cpu(work / f"idle-{m}", files, idle_s, m) for m in ("events", "polling")}
        report(
            f"Idle watching {files:,} files in {files // 100} folders for {idle_s:.0f} s",
            ["watch mode", "CPU %", "first scan s", "restart scan s"],
            [[m, r["cpu_percent"], r["startup_s"], r["restart_s"]] for m, r in idle.items()],
        )
        print(f"\n{info['date']}, commit {info['commit']}, {info['cpu']} ({info['cores']} cores)")
        write_json(args.json, {"freshness": fresh, "idle": idle, "files": files, "idle_s": idle_s})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _stats(values: list[float]) -> list[float]:
    return [round(median(values), 3), round(percentile(values, 95), 3), round(max(values), 3)]


_EMBEDDER: list[object] = []  # one loaded model for every run


def _services(work: Path, poll: bool = False) -> Services:
    settings = Settings()
    settings.index.data_dir = str(work / "data")
    settings.watch.reconcile_minutes = 0
    if poll:
        settings.watch.poll_folders = [str(work / "docs")]
    services = Services(settings, *_EMBEDDER)  # type: ignore[arg-type]
    _EMBEDDER[:] = [services.embedder]
    return services


def _start(services: Services, folder: Path) -> tuple[BackgroundIndexer, list[IndexEvent]]:
    events: list[IndexEvent] = []
    bg = services.background_indexer([folder], events.append)
    bg.start()
    _until(lambda: any(isinstance(e, Idle) for e in events), 1800)
    return bg, events


def _until(predicate: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.005)


def freshness(work: Path, saves: int) -> dict[str, list[float]]:
    docs = work / "docs"
    docs.mkdir(parents=True)
    for i in range(50):
        (docs / f"base{i}.md").write_text(f"# Base {i}\n\nBackground note number {i}.\n")
    services = _services(work)
    bg, _ = _start(services, docs.resolve())
    store = services.store
    times: dict[str, list[float]] = {"new": [], "edit": []}
    try:
        for i in range(saves):
            kind = "new" if i % 2 == 0 else "edit"
            token = f"qxz{i}fresh"
            target = docs / (f"new{i}.md" if kind == "new" else f"base{i}.md")
            started = time.perf_counter()
            target.write_text(f"# Save {i}\n\nThis save mentions {token} once.\n")
            _until(lambda t=token: store.text_search(t, 1), 60)
            times[kind].append(time.perf_counter() - started)
            time.sleep(0.3)  # let the previous save's optimize/idle work finish first
    finally:
        bg.stop()
    return times


def idle_cpu(work: Path, files: int, idle_s: float, mode: str) -> dict[str, float]:
    docs = work / "docs"
    for i in range(files):
        folder = docs / f"d{i // 100:03}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05}.md").write_text(f"# Note {i % 50}\n\nFiller text variant {i % 50}.\n")
    services = _services(work, poll=mode == "polling")
    services.settings.watch.poll_interval_s = 5.0
    started = time.perf_counter()
    bg, _ = _start(services, docs.resolve())
    startup = time.perf_counter() - started
    try:
        time.sleep(3)  # the post-scan optimize and first supervision pass
        cpu0, wall0 = time.process_time(), time.perf_counter()
        time.sleep(idle_s)
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
    finally:
        bg.stop()
    started = time.perf_counter()  # a restart: the reconcile finds nothing to do
    bg, _ = _start(services, docs.resolve())
    restart = time.perf_counter() - started
    bg.stop()
    return {
        "cpu_percent": round(100 * cpu / wall, 2),
        "startup_s": round(startup, 1),
        "restart_s": round(restart, 1),
    }


if __name__ == "__main__":
    main()
