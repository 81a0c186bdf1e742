"""Delete the indexes built for other embedding models (`tuirag status` lists them)."""

from __future__ import annotations

import argparse
import shutil

from rich.text import Text

from tuirag.backends.lock import WriterLock
from tuirag.cli.common import services
from tuirag.cli.output import console
from tuirag.text import human_bytes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="delete them (default: only list)")


def run(args: argparse.Namespace) -> int:
    from tuirag.backends.index_dirs import folder_bytes, index_folders

    svc = services(args)
    current = svc.store.folder
    others = [f for f in index_folders(svc.data_dir) if f != current]
    out = console()
    if not others:
        out.print(f"nothing to prune: the only index is {current}")
        return 0
    for folder in others:
        size = human_bytes(folder_bytes(folder))
        if args.yes:
            with WriterLock(folder):  # never delete an index another process is writing
                shutil.rmtree(folder)
            out.print(Text(f"deleted {folder} ({size})"))
        else:
            out.print(Text(f"would delete {folder} ({size})"))
    if not args.yes:
        out.print(Text("run `tuirag prune --yes` to delete them", style="dim"))
    return 0
