"""Show what is indexed: files, chunks, size on disk, embedder, last update, failures."""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from rich.text import Text

from tuirag.cli.common import services
from tuirag.cli.output import console
from tuirag.ingest import syncstate, watchstate
from tuirag.text import human_bytes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args: argparse.Namespace) -> int:
    from tuirag.backends.store import folder_bytes, index_folders

    svc = services(args)
    store = svc.store
    records = store.file_records()
    by_status = Counter(r.status for r in records.values())
    state = syncstate.read(store.folder)
    # failed and skipped files, and indexed ones with a warning (scanned pages left out)
    problems = sorted((r for r in records.values() if r.reason), key=lambda r: r.path)
    others = [f for f in index_folders(svc.data_dir) if f != store.folder]
    info = {
        "index": str(store.folder),
        "embedder": svc.embedder.label,
        "files": by_status.get("ok", 0),
        "chunks": store.count(),
        "failed": by_status.get("failed", 0),
        "skipped": by_status.get("skipped", 0),
        "size_bytes": store.disk_bytes(),
        "last_update": state.get("last_update"),
        "not_considered": state.get("skipped", {}),
        "problems": [{"path": r.path, "status": r.status, "reason": r.reason} for r in problems],
        "other_indexes": [str(f) for f in others],
        "folders": svc.settings.index.folders,
        "watch": watchstate.read(store.folder),
    }
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    out = console()
    when = (
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["last_update"]))
        if info["last_update"]
        else "never"
    )
    out.print(f"index      {info['index']}")
    out.print(f"embedder   {info['embedder']}")
    out.print(
        f"files      {info['files']} indexed, {info['failed']} failed, {info['skipped']} skipped"
    )
    out.print(f"chunks     {info['chunks']}")
    out.print(f"on disk    {human_bytes(info['size_bytes'])}")
    out.print(f"updated    {when}")
    if info["folders"]:
        out.print(f"folders    {', '.join(info['folders'])}")
    if info["watch"]:
        out.print(f"watching   pid {info['watch']['pid']}: {len(info['watch']['folders'])} folders")
        for folder, mode in watchstate.polled(info["watch"]).items():
            out.print(Text(f"           {folder}: {mode}", style="yellow"))
    if info["not_considered"]:
        reasons = ", ".join(
            f"{n} {why}" for why, n in Counter(info["not_considered"]).most_common()
        )
        out.print(Text(f"not indexed by rule: {reasons}"))
    for p in problems:
        label = "warning" if p.status == "ok" else p.status
        out.print(
            Text(f"{label}: ", style="red" if p.status == "failed" else "yellow")
            + Text(f"{p.path}: {p.reason}")
        )
    for other in others:
        size = human_bytes(folder_bytes(other))
        note = f"another index (other embedding model): {other} ({size}); `tuirag prune`"
        out.print(Text(note, style="dim"))
    return 0
