"""Entry point: parse arguments, load config, run one subcommand, map errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys

from tuirag import __version__

# subcommand name -> (module in tuirag.cli with add_arguments(parser) and run(args), the
# command's one-line help); only the module of the command being run is imported, so
# `--help` and each command pay for their own imports only
COMMANDS = {
    "app": ("app_cmd", "Open the terminal app (the default: `tuirag` or `tuirag FOLDER...`)."),
    "ingest": (
        "ingest",
        "Index folders (default: the configured ones): new and changed files "
        "in, deleted files out.",
    ),
    "search": (
        "search",
        "Search the index and print the best passages with their place and score.",
    ),
    "status": (
        "status",
        "Show what is indexed: files, chunks, vectors, size on disk, last "
        "change, a running ingest.",
    ),
    "doctor": (
        "doctor",
        "Check the setup: config, data dir, index, embedder (offline), "
        "plugins, Ollama. Reports only.",
    ),
    "forget": (
        "forget",
        "Drop a file or folder from the index (the files on disk are not touched).",
    ),
    "prune": (
        "prune",
        "Delete the indexes built for other embedding models (`tuirag status` lists them).",
    ),
    "config": (
        "config_cmd",
        "Create or show the config file (`config init`, `config path`, `config show`).",
    ),
    "watch": (
        "watch",
        "Watch folders and keep the index current, in the foreground (Ctrl-C or SIGTERM stops).",
    ),
    "eval": (
        "eval_cmd",
        "Measure retrieval quality: index a corpus into a temporary index and score questions.",
    ),
    "ask": (
        "ask",
        "Ask a question: the local model streams an answer citing your "
        "documents, then the sources.",
    ),
    "models": (
        "models",
        "Local Ollama models: list them, pull one with progress, show what is loaded (VRAM).",
    ),
    "plugins": (
        "plugins_cmd",
        "List format plugins: where each comes from, the file types it claims, "
        "and whether it loaded.",
    ),
}

EXIT_OK, EXIT_USAGE = 0, 2


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser listing every command, with the arguments of `command` (the one being run)."""
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
    for name, (module_name, doc) in COMMANDS.items():
        cmd = sub.add_parser(name, help=doc, description=doc)
        if name == command:
            module = importlib.import_module(f"tuirag.cli.{module_name}")
            module.add_arguments(cmd)
            cmd.set_defaults(handler=module.run)
    return parser


def command_index(argv: list[str]) -> int | None:
    """Where the command (or the app's first folder) is: past `--config FILE`; None after
    any other option (--help, --version, or a typo: argparse answers)."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "--config":
            i += 2
        elif argv[i].startswith("--config="):
            i += 1
        else:
            return None
    return i


def default_to_app(argv: list[str]) -> list[str]:
    """`tuirag` and `tuirag FOLDER...` open the app: put `app` before the first non-command.

    Options before it (`--config FILE`) stay in front; `--help`/`--version` are left alone.
    """
    i = command_index(argv)
    if i is None or (i < len(argv) and argv[i] in COMMANDS):
        return argv
    return [*argv[:i], "app", *argv[i:]]


def main(argv: list[str] | None = None) -> int:
    argv = default_to_app(sys.argv[1:] if argv is None else argv)
    i = command_index(argv)
    parser = build_parser(argv[i] if i is not None and i < len(argv) else None)
    args = parser.parse_args(argv)
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
