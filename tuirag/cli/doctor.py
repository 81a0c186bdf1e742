"""Check the setup: config, data dir, index, embedder (offline), plugins, Ollama. Reports only."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os

from rich.text import Text

from tuirag import config, paths
from tuirag.cli.output import console, name_text
from tuirag.errors import user_error
from tuirag.services import Services


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    out = console()
    failures = 0

    def report(ok: bool | None, what: str, detail: str) -> None:
        nonlocal failures
        mark, style = {True: ("ok  ", "green"), False: ("FAIL", "red"), None: ("warn", "yellow")}[
            ok
        ]
        failures += ok is False
        out.print(Text(f"{mark} ", style=style) + name_text(f"{what}: {detail}"))

    try:
        settings = config.load(args.config)
        report(
            True, "config", str(settings.source or f"{paths.config_file()} (not present; defaults)")
        )
    except config.ConfigError as exc:
        report(False, "config", str(exc))
        return 1
    data = settings.data_dir
    try:
        data.mkdir(parents=True, exist_ok=True)
        writable = os.access(data, os.W_OK)
    except OSError:
        writable = False
    report(writable, "data dir", f"{data}" + ("" if writable else " is not writable"))

    svc = Services(settings)
    try:
        svc.embedder.load()  # the model itself, not what its index remembers of it
        report(True, "embedder", svc.embedder.label)
    except Exception as exc:
        known = user_error(exc)
        if known is None:
            raise
        report(False, "embedder", str(known))
    else:
        for line in index_checks(svc):
            report(*line)
    for info in svc.registry.infos:
        if info.error:
            report(False, f"plugin {info.name}", f"failed to load: {info.error}")
        elif not info.enabled:
            report(None, f"plugin {info.name}", "disabled in config")
    from tuirag.cli.watch import watch_checks
    from tuirag.privacy import remote_notices

    for notice in remote_notices(settings):
        report(None, "privacy", notice)
    for line in [*extra_checks(settings), *watch_checks(settings)]:
        report(*line)
    return 1 if failures else 0


def index_checks(svc: Services) -> list[tuple[bool | None, str, str]]:
    """Read the whole index (both tables, the text, path and vector indexes)."""
    from tuirag.backends.index_check import open_and_check

    store, damage = open_and_check(svc.model_index_folder, svc.embedder.key, svc.embedder.dim)
    if not damage and store is not None:
        line = f"{store.count()} chunks in {store.folder}, all readable"
        if pending := store.count_pending():  # keyword first: vectors are filled in behind
            line += f"; {pending} still without a vector (`tuirag ingest` fills them in)"
        return [(True, "index", line)]
    fix = "; run `tuirag ingest --repair`"
    return [(False, "index", d.what + ("" if "--repair" in d.what else fix)) for d in damage]


def extra_checks(settings: config.Settings) -> list[tuple[bool | None, str, str]]:
    """Checks other parts add (Ollama, watcher); each a (ok, what, detail) line."""
    import httpx

    host = settings.ollama.resolved_host()
    try:
        version = httpx.get(f"{host.rstrip('/')}/api/version", timeout=3).json().get("version", "?")
        tags = httpx.get(f"{host.rstrip('/')}/api/tags", timeout=3).json().get("models", [])
    except (httpx.HTTPError, ValueError):
        fix = "start it with `ollama serve`; search and indexing still work"
        return [(None, "ollama", f"not reachable at {host}: {fix}")]
    lines: list[tuple[bool | None, str, str]] = [(True, "ollama", f"{host} (version {version})")]
    model = settings.ollama.model
    pulled = {m.get("name") or m.get("model") for m in tags}
    if model in pulled or f"{model}:latest" in pulled:
        lines.append((True, "chat model", f"{model} is pulled"))
        lines += asyncio.run(gpu_checks(settings))
    else:
        hint = f"{model} is not pulled: run `tuirag models pull {model}`; search still works"
        lines.append((None, "chat model", hint))
    return lines


async def gpu_checks(settings: config.Settings) -> list[tuple[bool | None, str, str]]:
    """Where the chat model is (or would be): VRAM, offload to the CPU, the window."""
    from tuirag.backends.chat import LlmError
    from tuirag.backends.gpu import fit_note, free_vram, offload_warning
    from tuirag.backends.ollama_llm import OllamaLLM
    from tuirag.text import human_bytes

    quick = dataclasses.replace(settings.ollama, timeout_s=5.0)
    llm = OllamaLLM(quick, wanted_ctx=settings.answer.context_needed())
    try:
        num_ctx = await llm.num_ctx()
        loaded = await llm.loaded()
        if loaded is None:
            size = next((m.size for m in await llm.list_models() if m.name == llm.model), 0)
            _, needed = await llm.vram_estimate(llm.model, size)
            free = await asyncio.to_thread(free_vram)
            estimate = "size unknown" if needed is None else f"~{human_bytes(needed)}"
            fits = fit_note(needed, free)
            detail = f"not loaded now; needs {estimate} of VRAM with context {num_ctx}: {fits}"
            return [(None if fits.startswith("does not") else True, "gpu", detail)]
    except LlmError as exc:
        return [(None, "gpu", exc.message)]
    finally:
        await llm.aclose()
    where = f"{human_bytes(loaded.size)} loaded, context {loaded.context_length or '?'}"
    lines: list[tuple[bool | None, str, str]] = []
    if warning := offload_warning(loaded.name, loaded.gpu_share):
        lines.append((None, "gpu", f"{warning} ({where})"))
    else:
        lines.append((True, "gpu", f"{loaded.name} 100% on GPU ({where})"))
    if loaded.context_length and loaded.context_length != num_ctx:
        lines.append(
            (
                None,
                "context",
                f"loaded with context {loaded.context_length}, answers ask for {num_ctx}: "
                "the next question reloads the model (seconds)",
            )
        )
    return lines
