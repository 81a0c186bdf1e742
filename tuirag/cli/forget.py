"""Drop a file or folder from the index (the files on disk are not touched)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tuirag.backends.lock import WriterLock
from tuirag.cli.common import services
from tuirag.cli.output import console, name_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="file or folder whose chunks to remove")


def run(args: argparse.Namespace) -> int:
    svc = services(args)
    with WriterLock(svc.store.folder):
        removed = svc.indexer().forget(args.path.expanduser())
    console().print(
        name_text(
            f"removed {len(removed)} files from the index"
            if removed
            else f"nothing indexed under {args.path}"
        )
    )
    return 0
