"""Local Ollama models: list them, pull one with progress, show what is loaded (VRAM)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from tuirag.cli.ask import EXIT_CODES
from tuirag.cli.common import services
from tuirag.cli.output import console, note
from tuirag.errors import UserError
from tuirag.text import human_bytes, strip_controls

if TYPE_CHECKING:  # imported when run: `tuirag --help` stays fast
    from tuirag.backends.ollama_llm import OllamaLLM


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION")
    sub.add_parser("list", help="models pulled into Ollama (the default)")
    pull = sub.add_parser("pull", help="download a model into Ollama, with progress")
    pull.add_argument("name", nargs="?", help="model to pull (default: ollama.model)")
    sub.add_parser("ps", help="models loaded now and their GPU memory")


def run(args: argparse.Namespace) -> int:
    from tuirag.backends.ollama_llm import OllamaLLM

    settings = services(args).settings
    llm = OllamaLLM(settings.ollama, wanted_ctx=settings.answer.context_needed())
    action = args.models_command or "list"
    if action == "pull":
        return _call(llm, lambda: _pull(llm, args.name or llm.model))
    if action == "ps":
        return _call(llm, lambda: _ps(llm))
    return _call(llm, lambda: _list(llm))


def _call(llm: OllamaLLM, work: Callable[[], Awaitable[int]]) -> int:
    from tuirag.backends.chat import LlmError

    async def main() -> int:
        try:
            return await work()
        finally:
            await llm.aclose()

    try:
        return asyncio.run(main())
    except LlmError as exc:
        raise UserError(exc.message, EXIT_CODES.get(exc.kind, 1)) from None


async def _list(llm: OllamaLLM) -> int:
    from tuirag.backends.gpu import fit_note, free_vram

    models = await llm.list_models()
    out = console()
    if not models:
        out.print(f"no models pulled yet: run `tuirag models pull {llm.model}`")
        return 0
    free = await asyncio.to_thread(free_vram)
    table = Table(box=None, pad_edge=False)
    for column in ("NAME", "FILE", "VRAM NEEDED", "CONTEXT", "FAMILY", "PARAMS", "QUANT"):
        table.add_column(column, justify="right" if column in ("FILE", "VRAM NEEDED") else "left")
    fits = {}
    for m in sorted(models, key=lambda m: m.name):
        num_ctx, needed = await llm.vram_estimate(m.name, m.size)
        fits[m.name] = fit_note(needed, free)
        name = Text(strip_controls(m.name), style="bold" if m.name == llm.model else "")
        table.add_row(
            name,
            human_bytes(m.size),
            "?" if needed is None else human_bytes(needed),
            str(num_ctx),
            m.family,
            m.parameter_size,
            m.quantization,
        )
    out.print(table)
    note(
        "FILE: the model file. VRAM NEEDED: estimated to hold it all on the GPU with the "
        "CONTEXT answers ask for (weights + KV cache + runtime); "
        + (
            f"{human_bytes(free)} of VRAM is free now"
            if free is not None
            else "free VRAM unknown (NVML: pip install 'tuirag[nvml]')"
        )
    )
    if llm.model not in {m.name for m in models}:
        note(f"the chat model {llm.model} is not pulled: run `tuirag models pull {llm.model}`")
    elif free is not None and fits[llm.model].startswith("does not fit"):
        note(f"the chat model {llm.model} {fits[llm.model]}")
    return 0


async def _ps(llm: OllamaLLM) -> int:
    from tuirag.backends.gpu import offload_warning

    loaded = await llm.running()
    out = console()
    if not loaded:
        out.print("no model is loaded (Ollama loads one on the first question)")
        return 0
    table = Table(box=None, pad_edge=False)
    for column in ("NAME", "LOADED", "IN VRAM", "PROCESSOR", "CONTEXT", "UNTIL"):
        table.add_column(column)
    now = datetime.now(UTC)
    for m in loaded:
        share = m.gpu_share
        processor = "100% GPU" if share >= 0.995 else f"{share:.0%} GPU / {1 - share:.0%} CPU"
        until = _until(m.expires_at, now)
        table.add_row(
            strip_controls(m.name),
            human_bytes(m.size),
            human_bytes(m.size_vram),
            processor,
            str(m.context_length or "?"),
            until,
        )
    out.print(table)
    note("LOADED: weights + KV cache for CONTEXT + runtime, as Ollama holds it now")
    for m in loaded:
        if warning := offload_warning(m.name, m.gpu_share):
            note(f"warning: {warning}")
    return 0


def _until(expires: datetime | None, now: datetime) -> str:
    if expires is None:
        return "?"
    minutes = (expires - now).total_seconds() / 60
    return "forever" if minutes > 60 * 24 * 365 else f"{max(minutes, 0):.0f} min"


async def _pull(llm: OllamaLLM, name: str) -> int:
    if sys.stderr.isatty():
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
        )
        with Progress(*columns, console=console(stderr=True), transient=True) as bar:
            task = bar.add_task(f"pulling {name}", total=None)
            async for step in llm.pull(name):
                bar.update(
                    task,
                    description=strip_controls(step.status),
                    total=step.total,
                    completed=step.completed or 0,
                )
    else:  # a pipe or a log: one line per stage, no bar
        last = ""
        async for step in llm.pull(name):
            if step.status != last:
                note(strip_controls(step.status))
                last = step.status
    console().print(f"pulled {name}")
    return 0
