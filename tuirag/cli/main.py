"""Entry point: parse arguments, load config, run one subcommand, map errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys

from tuirag import __version__

# subcommand name -> module in tuirag.cli that defines add_arguments(parser) and run(args)
COMMANDS = {
    "app": "app_cmd",
    "ingest": "ingest",
    "search": "search",
    "status": "status",
    "doctor": "doctor",
    "forget": "forget",
    "prune": "prune",
    "config": "config_cmd",
    "watch": "watch",
    "eval": "eval_cmd",
    "ask": "ask",
    "models": "models",
    "plugins": "plugins_cmd",
}

EXIT_OK, EXIT_USAGE = 0, 2


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


def default_to_app(argv: list[str]) -> list[str]:
    """`tuirag` and `tuirag FOLDER...` open the app: put `app` before the first non-command.

    Options before it (`--config FILE`) stay in front; `--help`/`--version` are left alone.
    """
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "--config":
            i += 2
        elif argv[i].startswith("--config="):
            i += 1
        else:
            return argv  # --help, --version, or a typo: argparse answers
    if i < len(argv) and argv[i] in COMMANDS:
        return argv
    return [*argv[:i], "app", *argv[i:]]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(default_to_app(sys.argv[1:] if argv is None else argv))
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    return run_handler(handler, args)


def run_handler(handler, args: argparse.Namespace) -> int:
    """Run a subcommand; errors a user can fix become one line, never a traceback."""
    from tuirag.cli.output import error, reader_gone
    from tuirag.errors import UserError, user_error

    try:
        return int(handler(args) or EXIT_OK)
    except BrokenPipeError:
        reader_gone()  # `tuirag search … | head -1`: the reader has what it wanted
        return EXIT_OK
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
