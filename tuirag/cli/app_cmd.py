"""Open the terminal app (the default: `tuirag` or `tuirag FOLDER...`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tuirag import config
from tuirag.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="folders to watch in this session as well as the configured ones",
    )


def run(args: argparse.Namespace) -> int:
    settings = config.load(getattr(args, "config", None))
    folders = [p.expanduser() for p in args.paths]
    missing = [str(p) for p in folders if not p.is_dir()]
    if missing:
        raise UserError(f"not a folder: {', '.join(missing)}")
    from tuirag.app import make_app  # Textual only when the app really opens

    make_app(settings, folders=folders).run()
    return 0
