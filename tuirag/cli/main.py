"""Entry point: parse arguments, load config, run one subcommand, map errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys

from tuirag import __version__

# subcommand name -> module in tuirag.cli that defines add_arguments(parser) and run(args)
COMMANDS = {
    "ingest": "ingest",
    "search": "search",
    "status": "status",
    "doctor": "doctor",
    "forget": "forget",
    "config": "config_cmd",
    "eval": "eval_cmd",
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tuirag", description="Chat with your own folders, locally."
    )
    parser.add_argument("--version", action="version", version=f"tuirag {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $TUIRAG_CONFIG or the user config dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"tuirag.cli.{module_name}")
        doc = (module.__doc__ or "").strip().splitlines()[0]
        cmd = sub.add_parser(name, help=doc, description=doc)
        module.add_arguments(cmd)
        cmd.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    return run_handler(handler, args)


def run_handler(handler, args: argparse.Namespace) -> int:
    """Run a subcommand; errors a user can fix become one line, never a traceback."""
    from tuirag.cli.output import error
    from tuirag.errors import UserError, user_error

    try:
        return int(handler(args) or EXIT_OK)
    except KeyboardInterrupt:
        error("interrupted; the next run picks up where this one stopped")
        return 130
    except UserError as exc:
        error(str(exc))
        return exc.exit_code
    except Exception as exc:
        known = user_error(exc)
        if known is None:
            raise
        error(str(known))
        return known.exit_code


if __name__ == "__main__":
    sys.exit(main())
