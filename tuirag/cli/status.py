"""Show what is indexed: files, chunks, vectors, size on disk, last change, a running ingest."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.text import Text

from tuirag.backends.index_dirs import folder_bytes, index_folders
from tuirag.cli.common import services
from tuirag.cli.output import console, name_text, print_json
from tuirag.ingest import summary, watchstate
from tuirag.text import human_bytes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args: argparse.Namespace) -> int:
    """Read the summary the index's writer keeps; open the index (and the model) only
    for an index written before summaries, or never opened with these settings."""
    svc = services(args)
    folder = svc.index_folder()
    found = summary.read(folder) if folder is not None else None
    if folder is None or found is None:
        store = svc.store
        folder = store.folder
        found = summary.collect(store, summary.Summary(embedder=svc.embedder.label))
    elif found.progress is not None and not found.progress.alive:
        # its writer died (kill -9, a full disk) after the last write: count afresh
        found = summary.collect(svc.store, found)
    others = [f for f in index_folders(svc.data_dir) if f != folder]
    progress = found.progress
    info: dict[str, Any] = {
        "index": str(folder),
        "embedder": found.embedder,
        "files": found.files,
        "chunks": found.chunks,
        "embedded": found.embedded,
        "failed": found.failed,
        "skipped": found.skipped + found.unsupported,
        "size_bytes": folder_bytes(folder),
        "last_update": found.last_change,
        "not_considered": found.not_considered,
        "problems": found.problems,
        "ingest": None if progress is None else {**vars(progress), "running": progress.alive},
        "other_indexes": [str(f) for f in others],
        "folders": svc.settings.index.folders,
        "watch": watchstate.read(folder),
    }
    if args.json:
        print_json(info)
        return 0
    _print(info, others, progress)
    return 0


def _print(info: dict[str, Any], others: list[Path], progress: summary.Progress | None) -> None:
    out = console()
    out.print(Text("index      ") + name_text(info["index"]))
    out.print(Text("embedder   ") + name_text(info["embedder"]))
    out.print(
        f"files      {info['files']:,} indexed, {info['failed']:,} failed, "
        f"{info['skipped']:,} skipped"
    )
    chunks, embedded = info["chunks"], info["embedded"]
    line = f"chunks     {chunks:,}"
    if embedded < chunks:
        line += f", embedded {embedded:,} of {chunks:,} (the rest are found by keyword only)"
    out.print(line)
    out.print(f"on disk    {human_bytes(info['size_bytes'])}")
    out.print(f"updated    {_when(info['last_update'])}")
    if progress is not None:  # info["ingest"] is it, with whether its pid runs
        step = progress.describe()
        if info["ingest"]["running"]:
            since = _when(progress.since)
            out.print(f"ingest     running: pid {progress.pid}, {step}, since {since}")
        else:
            out.print(
                Text(
                    f"ingest     interrupted (pid {progress.pid} is gone) at {step}; "
                    "the next `tuirag ingest` or `tuirag watch` resumes it",
                    style="yellow",
                )
            )
    if info["folders"]:
        out.print(Text("folders    ") + name_text(", ".join(info["folders"])))
    if info["watch"]:
        out.print(f"watching   pid {info['watch']['pid']}: {len(info['watch']['folders'])} folders")
        for folder, mode in watchstate.polled(info["watch"]).items():
            out.print(name_text(f"           {folder}: {mode}", style="yellow"))
    if info["not_considered"]:
        reasons = ", ".join(
            f"{n} {why}" for why, n in Counter(info["not_considered"]).most_common()
        )
        out.print(name_text(f"not indexed by rule: {reasons}"))
    for p in info["problems"]:
        label = "warning" if p["status"] == "ok" else p["status"]
        out.print(
            Text(f"{label}: ", style="red" if p["status"] == "failed" else "yellow")
            + name_text(f"{p['path']}: {p['reason']}")
        )
    for other in others:
        size = human_bytes(folder_bytes(other))
        note = f"another index (other embedding model): {other} ({size}); `tuirag prune`"
        out.print(name_text(note, style="dim"))


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp)) if stamp else "never"
