"""Search the index and print the best passages with their place and score."""

from __future__ import annotations

import argparse

from rich.text import Text

from tuirag.cli.common import services
from tuirag.cli.output import console, name_text, note, path_text, print_json
from tuirag.formats.headings import short_path
from tuirag.search.filters import KINDS, SearchFilter, make_filter, split_prefix
from tuirag.search.retrieval import MODES
from tuirag.text import safe_name, strip_controls
from tuirag.types import Hit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="what to look for")
    parser.add_argument(
        "-k", type=int, default=None, help="how many passages (default: search.top_k)"
    )
    parser.add_argument("--mode", choices=MODES, default=None, help="default: search.mode (hybrid)")
    parser.add_argument("--json", action="store_true", help="print a JSON array of hits")
    add_filter_arguments(parser)


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """--path and --kind, shared by search and ask."""
    parser.add_argument(
        "--path",
        metavar="GLOB",
        help="only files whose path matches, e.g. '*.pdf', 'manuals/*' or a folder",
    )
    parser.add_argument(
        "--kind",
        action="append",
        metavar="KIND",
        help=f"only files of this kind: {', '.join(KINDS)} (repeat or comma-separate)",
    )


def search_filter(args: argparse.Namespace, query: str) -> tuple[SearchFilter, str]:
    """The filter from --path/--kind plus any `kind:`/`path:` words leading the query."""
    typed, rest = split_prefix(query)
    return make_filter(args.path, args.kind).merged(typed), rest


def run(args: argparse.Namespace) -> int:
    svc = services(args)
    k = args.k or svc.settings.search.top_k
    where, query = search_filter(args, args.query)
    result = svc.retriever.search(query, k, args.mode or svc.settings.search.mode, where)
    for message in [result.warning, *result.notes]:
        if message:
            note(f"note: {message}")
    if args.json:
        print_json([h.to_json() for h in result.hits])
        return 0
    out = console()
    if not result.hits:
        from tuirag.search.no_match import index_state, no_match_message

        state = index_state(svc.store, svc.roots())
        out.print(name_text(no_match_message(state, where=where)))  # the filter is user text
        return 0
    for n, hit in enumerate(result.hits, 1):
        out.print(format_hit(n, hit))
        if hit.section:
            shown = short_path(safe_name(hit.section), max(20, out.width - 4))
            out.print(Text(f"    {shown}", style="dim italic"))
        out.print(Text(indent(hit.text), style="default"))
        out.print()
    note(f"{len(result.hits)} hits in {result.millis:.0f} ms ({result.mode})")
    return 0


def format_hit(n: int, hit: Hit) -> Text:
    title = Text(f"[{n}] ", style="bold cyan") + path_text(hit.path, "bold")
    if hit.locator:
        title += name_text(f"  {hit.locator}", style="cyan")  # a heading comes from the file
    title += Text(f"  score {hit.score:.4f}", style="dim")
    if hit.vector_score is not None and hit.vector_score != hit.score:
        title += Text(f" (cosine {hit.vector_score:.3f})", style="dim")
    return title


def indent(text: str, width: int = 600) -> str:
    body = strip_controls(text).strip()
    if len(body) > width:
        body = body[:width].rsplit(" ", 1)[0] + " …"
    return "\n".join("    " + line for line in body.splitlines())
