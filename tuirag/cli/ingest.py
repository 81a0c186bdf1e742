"""Index folders (default: the configured ones): new and changed files in, deleted files out."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from tuirag.backends.lock import WriterLock
from tuirag.cli.common import services
from tuirag.cli.output import console, is_tty
from tuirag.errors import UserError
from tuirag.paths import resolved
from tuirag.types import FileOutcome

if TYPE_CHECKING:
    from tuirag.ingest.pipeline import Indexer, IngestReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", type=Path, help="folders or files (default: index.folders)"
    )
    parser.add_argument(
        "--force", action="store_true", help="re-parse every file, even unchanged ones"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only problems")


def run(args: argparse.Namespace) -> int:
    svc = services(args)
    roots = [resolved(p) for p in args.paths] or svc.roots()
    if not roots:
        raise UserError(
            "no folders to index: pass some (`tuirag ingest ~/docs`) "
            "or set index.folders in the config"
        )
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        raise UserError(f"no such file or folder: {', '.join(missing)}")
    out = console()
    indexer = svc.indexer(extra_roots=roots)
    with WriterLock(svc.store.folder):
        if is_tty() and not args.quiet:
            report = _with_progress(indexer, roots, args.force)
        else:
            report = indexer.sync(roots, force=args.force)
    _summary(out, report, args.quiet)
    return 1 if report.count("failed") else 0


def _with_progress(indexer: Indexer, roots: list[Path], force: bool) -> IngestReport:
    started = time.monotonic()
    chunks = 0
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console(),
        transient=True,
    ) as bar:
        task = bar.add_task("scanning", total=None, rate="")

        def planned(total: int) -> None:
            bar.update(task, total=total, description="indexing")

        def step(outcome: FileOutcome) -> None:
            nonlocal chunks
            chunks += outcome.chunks if outcome.status == "indexed" else 0
            rate = chunks / max(time.monotonic() - started, 1e-6)
            bar.update(task, advance=1, rate=f"{rate:.1f} chunks/s")

        return indexer.sync(roots, progress=step, force=force, on_plan=planned)


def _summary(out: Console, report: IngestReport, quiet: bool) -> None:
    # indexed files can carry a warning too (e.g. scanned pages left out)
    problems = [o for o in report.outcomes if o.reason and o.status != "unchanged"]
    for o in problems:
        label = "warning" if o.status == "indexed" else o.status
        out.print(
            Text(f"{label}: ", style="red" if o.status == "failed" else "yellow")
            + Text(f"{o.path}: {o.reason}")
        )
    if quiet:
        return
    indexed, unchanged, removed = (
        report.count("indexed"),
        report.count("unchanged"),
        report.count("removed"),
    )
    line = (
        f"{indexed} indexed ({report.chunks} chunks, {report.embedded} embedded), "
        f"{unchanged} unchanged, {removed} removed, {report.count('failed')} failed, "
        f"{report.count('skipped')} skipped in {report.seconds:.1f}s"
    )
    if indexed == 0 and removed == 0 and unchanged:
        line += " — nothing changed, nothing re-embedded"
    out.print(line)
    if report.skipped:
        reasons = ", ".join(f"{n} {why}" for why, n in report.skipped.most_common())
        out.print(Text(f"not considered: {reasons}", style="dim"))
