"""Measure retrieval quality: index a corpus into a temporary index and score questions."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table
from rich.text import Text

from tuirag import config
from tuirag.cli.output import console, is_tty, note, print_json
from tuirag.evaluate import EvalReport, evaluate, load_questions
from tuirag.search.retrieval import MODES
from tuirag.text import strip_controls


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "questions", type=Path, help="JSONL: question, answer_contains, file[, style]"
    )
    parser.add_argument(
        "--corpus", type=Path, required=True, help="folder the questions' files are in"
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=["vector", "fts", "hybrid"],
        help="retrieval modes to score (default: all three)",
    )
    parser.add_argument(
        "-k", type=int, default=10, help="passages retrieved per question (default 10)"
    )
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument(
        "--misses",
        action="store_true",
        help="list the questions with no correct passage in the top 5",
    )


def run(args: argparse.Namespace) -> int:
    settings = config.load(getattr(args, "config", None))
    questions = load_questions(args.questions)
    progress = None
    if is_tty() and not args.json:
        progress = _progress_note
        note(f"indexing {args.corpus} into a temporary index…")
    report = evaluate(
        settings, args.corpus, questions, args.modes, max(1, args.k), progress=progress
    )
    if args.json:
        print_json(report.to_json())
        return 0
    out = console()
    out.print(table(report))
    if report.unindexed:
        note(
            f"{len(report.unindexed)} expected files produced no chunks (no plugin, or failed): "
            + ", ".join(report.unindexed[:8])
            + (" …" if len(report.unindexed) > 8 else "")
        )
    if args.misses:
        for o in report.misses():
            where = f"rank {o.rank}" if o.rank else "not found"
            line = f"[{o.mode}] {where}: {o.question.question}"
            line += f"  (want {o.question.file}; top: {o.top_path or 'nothing'})"
            out.print(Text(strip_controls(line)))
    return 0


def _progress_note(done: int, total: int) -> None:
    if done == total or done % 25 == 0:
        note(f"asked {done}/{total}")


def table(report: EvalReport) -> Table:
    s = report.settings
    caption = (
        f"{report.files} files, {report.chunks} chunks indexed in {report.ingest_seconds:.1f}s; "
        f"{s.get('embedder', '')}, chunks ≤{s.get('max_tokens')} tokens, "
        f"overlap {s.get('overlap_tokens')}, rrf_k {s.get('rrf_k')}"
    )
    grid = Table(title="retrieval quality", caption=caption)
    for name in ("mode", "group", "n", *(f"R@{k}" for k in report.ks), "MRR", "p50 ms"):
        grid.add_column(name, justify="left" if name in ("mode", "group") else "right")
    previous = ""
    for row in report.rows():
        if previous and row.mode != previous:
            grid.add_section()
        previous = row.mode
        grid.add_row(
            row.mode,
            row.group,
            str(row.scores.n),
            *(f"{row.scores.recall[k]:.2f}" for k in report.ks),
            f"{row.scores.mrr:.3f}",
            f"{row.p50_ms:.0f}",
        )
    return grid
