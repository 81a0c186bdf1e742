"""Index folders (default: the configured ones): new and changed files in, deleted files out."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from tuirag.backends.lock import WriterLock
from tuirag.cli.common import services
from tuirag.cli.output import console, is_tty, note
from tuirag.config import Settings
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
    parser.add_argument(
        "--no-save",
        action="store_true",
        help="index these folders once; do not add them to index.folders in the config",
    )


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
        if args.quiet:
            report = indexer.sync(roots, force=args.force)
        elif is_tty():
            report = _with_progress(indexer, roots, args.force)
        else:  # a log file or a pipe: a line now and then, not a bar
            lines = ProgressLines(out)
            report = indexer.sync(
                roots,
                lines.step,
                force=args.force,
                on_plan=lines.plan,
                on_file=lines.taken,
                on_embed=lines.embedded,
            )
    _summary(out, report, args.quiet)
    if args.paths and not args.no_save:
        _remember(svc.settings, roots)
    return 1 if report.count("failed") else 0


def _remember(settings: Settings, roots: list[Path]) -> None:
    """Folders named on the command line join index.folders, so the app shows them and
    `tuirag watch` keeps them current, as a user who indexed a folder expects."""
    from tuirag import config_file

    try:
        added, path = config_file.add_folders(settings, roots)
    except OSError as exc:
        note(f"note: could not add the folders to the config: {exc}")
        return
    for folder in added:
        note(f"added {folder} to index.folders in {path} (`--no-save` indexes without adding)")


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

        embedding = started

        def embedded(done: int, total: int) -> None:
            nonlocal embedding, chunks
            if bar.tasks[task].description != "embedding":  # files are keyword-searchable now
                embedding, chunks = time.monotonic(), done
            rate = (done - chunks) / max(time.monotonic() - embedding, 1e-6)
            desc = "embedding"
            bar.update(task, description=desc, total=total, completed=done, rate=f"{rate:.1f}/s")

        return indexer.sync(roots, progress=step, force=force, on_plan=planned, on_embed=embedded)


class ProgressLines:
    """Progress where no bar can show: a line every `files` files or `seconds` seconds."""

    def __init__(
        self,
        out: Console,
        files: int = 100,
        seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.out, self.files, self.seconds, self.clock = out, files, seconds, clock
        self.total = 0
        self.done = 0
        self.chunks = 0
        self.started = self.last = clock()

    def plan(self, total: int) -> None:
        self.total = total
        self.out.print(f"indexing {total} file{'s' * (total != 1)}")

    def step(self, outcome: FileOutcome) -> None:
        self.chunks += outcome.chunks if outcome.status == "indexed" else 0

    def taken(self, path: Path | str) -> None:
        """Called as each file is taken up (outcomes arrive a batch at a time)."""
        self.done += 1
        now = self.clock()
        if self.done < self.total and (
            self.done % self.files == 0 or now - self.last >= self.seconds
        ):
            self.last = now
            rate = self.chunks / max(now - self.started, 1e-6)
            self.out.print(f"indexed {self.done} of {self.total} files ({rate:.1f} chunks/s)")

    def embedded(self, done: int, total: int) -> None:
        """Called after each batch of vectors; the files are keyword-searchable already."""
        now = self.clock()
        if done < total and now - self.last >= self.seconds:
            self.last = now
            self.out.print(f"embedded {done:,} of {total:,} chunks (keyword search works now)")


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
        line += (
            f" — resumed: embedded {report.vectors} chunks an interrupted run left"
            if report.vectors
            else " — nothing changed, nothing re-embedded"
        )
    out.print(line)
    if report.skipped:
        reasons = ", ".join(f"{n} {why}" for why, n in report.skipped.most_common())
        out.print(Text(f"not considered: {reasons}", style="dim"))
