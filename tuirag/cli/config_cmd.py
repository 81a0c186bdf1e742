"""Create or show the config file (`config init`, `config path`, `config show`)."""

from __future__ import annotations

import argparse

from tuirag import config, config_file, paths
from tuirag.cli.output import console
from tuirag.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("init", "path", "show"))
    parser.add_argument(
        "--force", action="store_true", help="with init: overwrite an existing file"
    )


def run(args: argparse.Namespace) -> int:
    path = paths.config_file(args.config)
    out = console()
    if args.action == "path":
        out.print(str(path))
    elif args.action == "show":
        out.print(config_file.render(config.load(args.config)), end="")
    else:
        if path.exists() and not args.force:
            raise UserError(f"{path} exists; use `tuirag config init --force` to overwrite it")
        config_file.write(path, config.Settings())
        out.print(f"wrote {path}")
    return 0
