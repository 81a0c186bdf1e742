"""Ask a question: the local model streams an answer citing your documents, then the sources."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from tuirag.answer.citations import cited, cited_first
from tuirag.answer.events import Failed, Finished, Loading, Retrieved, Timings, Token
from tuirag.cli.common import services
from tuirag.cli.output import console, name_text, note, path_text, print_json, reader_gone
from tuirag.cli.search import add_filter_arguments, format_hit, indent
from tuirag.errors import UserError
from tuirag.formats.headings import short_path
from tuirag.search.filters import SearchFilter, make_filter
from tuirag.text import safe_name, strip_controls
from tuirag.types import Hit

if TYPE_CHECKING:  # imported in run(): `tuirag --help` must not load LanceDB
    from tuirag.answer.service import Answerer

EXIT_NO_OLLAMA = 4
EXIT_MODEL_MISSING = 5
EXIT_CODES = {"no_ollama": EXIT_NO_OLLAMA, "model_missing": EXIT_MODEL_MISSING}
FIRST_CHUNKS_WAIT_S = 60.0  # a first ingest commits its first batch well within this


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="what to ask your documents")
    parser.add_argument(
        "-k", type=int, default=None, help="passages to retrieve (default: answer.top_k)"
    )
    parser.add_argument(
        "--model",
        default=None,
        help="chat model (default: ollama.model; with answer.backend = llamacpp, a GGUF file)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the answer cache"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help=(
            "print one JSON object: answer, sources (numbered as cited), cited "
            "(the numbers the answer cites), left_out, timings, cached"
        ),
    )
    add_filter_arguments(parser)


@dataclass
class _Outcome:
    retrieved: Retrieved | None = None
    parts: list[str] = field(default_factory=list)
    finished: Finished | None = None
    failed: Failed | None = None
    loading: Loading | None = None  # this answer waited for the model to load
    reader_gone: bool = False  # stdout's reader closed the pipe (`| head`)


def run(args: argparse.Namespace) -> int:
    from tuirag.answer.service import Answerer
    from tuirag.backends.chat import make_chat_model
    from tuirag.privacy import remote_notices
    from tuirag.search.no_match import wait_for_first_chunks

    svc = services(args)
    settings = svc.settings
    if args.k:
        settings.answer.top_k = args.k
    if args.no_cache:
        settings.answer.cache = False
    llm = make_chat_model(settings, args.model)
    for line in remote_notices(settings):
        note(f"note: {line}")
    wait_for_first_chunks(
        svc.store,
        FIRST_CHUNKS_WAIT_S,
        lambda pid: note(
            f"waiting for the index: tuirag (pid {pid}) is indexing it for the first time…"
        ),
    )
    answerer = Answerer(svc, llm)
    where = make_filter(args.path, args.kind)
    outcome = asyncio.run(_collect(answerer, args.question, where, stream=not args.json))
    if outcome.reader_gone:
        reader_gone()
        return 0
    if args.json:
        print_json(_as_json(outcome))
    else:
        _print_after(outcome)
    if outcome.failed:
        raise UserError(outcome.failed.message, EXIT_CODES.get(outcome.failed.kind, 1))
    return 0


async def _collect(
    answerer: Answerer, question: str, where: SearchFilter, stream: bool
) -> _Outcome:
    outcome = _Outcome()
    # On a terminal, a spinner on stderr until the first token: loading a model can
    # take many seconds and silence looks like a hang. Never in a pipe.
    waiting = (
        console(stderr=True).status(f"waiting for {answerer.llm.model}…")
        if stream and sys.stdout.isatty() and sys.stderr.isatty()
        else None
    )
    try:
        async with contextlib.aclosing(answerer.ask(question, where=where)) as events:
            async for event in events:
                if waiting is not None and not isinstance(event, Retrieved | Loading):
                    waiting.stop()
                    waiting = None
                if isinstance(event, Retrieved):
                    outcome.retrieved = event
                    if waiting is not None and event.relevant:
                        waiting.start()
                elif isinstance(event, Loading):
                    outcome.loading = event
                    if waiting is not None:
                        waiting.update(f"loading {event.model} (context {event.num_ctx})…")
                    elif stream and sys.stderr.isatty():  # answer to a pipe, seen on a terminal
                        note(f"loading {event.model} (context {event.num_ctx})…")
                elif isinstance(event, Token):
                    outcome.parts.append(event.text)
                    if stream:
                        try:
                            sys.stdout.write(strip_controls(event.text))
                            sys.stdout.flush()
                        except BrokenPipeError:
                            outcome.reader_gone = True  # leaving closes the request too
                            break
                elif isinstance(event, Finished):
                    outcome.finished = event
                else:
                    outcome.failed = event
    finally:
        if waiting is not None:
            waiting.stop()
        await answerer.llm.aclose()
    return outcome


def _print_after(outcome: _Outcome) -> None:
    out = console()
    streamed = "".join(outcome.parts)
    if streamed:
        out.print()
    retrieved = outcome.retrieved
    finished = outcome.finished
    if finished is not None and retrieved is not None and not retrieved.relevant:
        out.print(Text(finished.answer))
        if retrieved.sources:
            _passages(out, "Closest passages:", retrieved.sources)
    elif outcome.failed is not None:
        if retrieved is not None and retrieved.sources:
            _passages(out, "Retrieved passages (no answer from the model):", retrieved.sources)
    elif retrieved is not None and retrieved.sources:
        out.print()
        out.print(Text("Sources:", style="bold"))
        for n, is_cited in cited_first(streamed, len(retrieved.sources)):
            out.print(_source_line(n, retrieved.sources[n - 1], is_cited))
        if retrieved.left_out:
            note(
                f"note: {len(retrieved.left_out)} retrieved passage(s) not given to the model "
                "(cosine below answer.min_score and few of the question's words): "
                + ", ".join(_where(h) for h in retrieved.left_out)
            )
    if retrieved is not None and retrieved.dropped:
        note(
            f"{len(retrieved.dropped)} weaker passage(s) left out to fit the context window: "
            + ", ".join(_where(h) for h in retrieved.dropped)
        )
    if finished is not None:
        if finished.cached:
            note("(answered from the cache: the cited files have not changed)")
        for warning in finished.warnings:
            note(f"warning: {warning}")
        if sys.stderr.isatty() and finished.timings.first_token_ms is not None:
            note(timing_line(finished.timings))


def timing_line(t: Timings) -> str:
    """retrieval, model load (when it happened), first token, prefill and decode speed."""
    parts = [f"retrieval {t.retrieval_ms:.0f} ms"]
    if t.load_ms:
        parts.append(f"model load {t.load_ms / 1000:.1f} s")
    parts.append(f"first token {t.first_token_ms or 0:.0f} ms")
    if t.prompt_tokens and t.prompt_tokens_per_s:
        parts.append(f"prompt {t.prompt_tokens} tokens at {t.prompt_tokens_per_s:.0f}/s")
    if t.tokens_per_s:
        parts.append(f"{t.tokens_per_s:.1f} tokens/s")
    return ", ".join(parts)


def _where(hit: Hit) -> str:
    return safe_name(hit.path + (f" {hit.locator}" if hit.locator else ""))


def _source_line(n: int, hit: Hit, is_cited: bool = True) -> Text:
    line = Text(f"[{n}] ", style="bold cyan" if is_cited else "dim") + path_text(
        hit.path, "" if is_cited else "dim"
    )
    if hit.locator:
        line += name_text(f"  {hit.locator}", style="cyan" if is_cited else "dim")
    if hit.section:
        line += name_text(f"  {short_path(safe_name(hit.section), 60)}", style="dim italic")
    if not is_cited:
        line += Text("  (not cited)", style="dim")
    return line


def _passages(out: Console, title: str, hits: list[Hit]) -> None:
    out.print()
    out.print(Text(title, style="bold"))
    for n, hit in enumerate(hits, 1):
        out.print(format_hit(n, hit))
        out.print(Text(indent(hit.text)))
        out.print()


def _as_json(outcome: _Outcome) -> dict[str, object]:
    retrieved = outcome.retrieved
    finished = outcome.finished
    answer = finished.answer if finished else "".join(outcome.parts)
    data: dict[str, object] = {
        "answer": answer,
        "sources": [h.to_json() for h in retrieved.sources] if retrieved else [],
        "cited": cited(answer, len(retrieved.sources)) if retrieved else [],
        "left_out": [h.to_json() for h in retrieved.left_out] if retrieved else [],
        "dropped": [h.to_json() for h in retrieved.dropped] if retrieved else [],
        "query": retrieved.query if retrieved else "",
        "relevant": retrieved.relevant if retrieved else False,
        "timings": finished.timings.to_json() if finished else None,
        "cached": finished.cached if finished else False,
        "model_loaded": outcome.loading is not None,  # this answer waited for a model load
        "warnings": finished.warnings if finished else [],
    }
    if outcome.failed:
        data["error"] = {"kind": outcome.failed.kind, "message": outcome.failed.message}
    return data
