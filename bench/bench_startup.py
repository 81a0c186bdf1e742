"""Start-up of the terminal app: launch → first frame → interactive → index open.

Each run is a fresh `python` process (interpreter start and imports included)
running the real app headless at 80×24 over a small real index, with Ollama
unreachable:
- first frame: the first screen is painted (Textual's run_test yields);
- interactive: a key typed into the question box is handled and repainted
  (measured at the repaint, not when Pilot returns: Pilot also waits for workers);
- index open: the embedder is loaded and LanceDB is open (in a worker).

Commands: the wall time of fresh `tuirag --help`, `tuirag status` and `tuirag search
--mode fts` processes over the same index; with `--baseline PYTHON` (another checkout's
interpreter, e.g. main's .venv/bin/python) each run of ours is paired with one of
theirs, alternating, so both see the same load.

Then typing: 40 keys, 50 ms apart, posted as the terminal driver posts them, while
the background indexer embeds new files, and again once it is idle; each latency is
from the key's arrival to the question box's value changing.

    .venv/bin/python bench/bench_startup.py [--runs N] [--quick] [--baseline PYTHON] [--json PATH]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import (
    REPO,
    describe_machine,
    machine,
    median,
    parser,
    percentile,
    report,
    write_json,
)

CHILD = r"""
import asyncio, json, os, sys, time
t0 = float(os.environ["BENCH_T0"])
marks = {"python_started": time.time() - t0}
from tuirag import config
from tuirag.app import make_app
marks["imported"] = time.time() - t0

async def main():
    app = make_app(config.load())
    async with app.run_test(size=(80, 24)) as pilot:
        marks["first_frame"] = time.time() - t0
        question = app.screen.query_one("#question")

        def typed(value):
            # the key is handled; count the repaint that shows it
            app.call_after_refresh(lambda: marks.setdefault("interactive", time.time() - t0))

        question.watch(question, "value", typed, init=False)
        await pilot.press("x")
        while "interactive" not in marks:
            await pilot.pause(0.001)
        await app.index_ready.wait()
        marks["index_open"] = time.time() - t0
    print(json.dumps(marks))

asyncio.run(main())
"""

TYPING = r"""
import asyncio, json, time
from textual import events
from tuirag import config
from tuirag.app import make_app
from tuirag.ingest.events import Idle

async def main():
    app = make_app(config.load())
    latencies, busy = [], []
    async with app.run_test(size=(80, 24)) as pilot:
        idle = []
        app.index_events.subscribe(app.screen, lambda e: isinstance(e, Idle) and idle.append(e))
        await app.index_ready.wait()
        while not (idle if WAIT_IDLE else app.status.busy):
            await asyncio.sleep(0.01)  # indexing under way, or over
        question = app.screen.query_one("#question")
        sent = [0.0]
        question.watch(question, "value",
                       lambda value: latencies.append(time.perf_counter() - sent[0]), init=False)
        for _ in range(KEYS):
            busy.append(app.status.busy)
            sent[0] = time.perf_counter()
            app.post_message(events.Key("x", "x"))  # what the terminal driver does
            count = len(latencies)
            while len(latencies) == count:
                await asyncio.sleep(0.0005)
            await asyncio.sleep(0.05)
    print(json.dumps({"latencies": latencies, "busy": busy}))

asyncio.run(main())
"""

COLUMNS = ("python_started", "imported", "first_frame", "interactive", "index_open")


def prepare(folder: Path) -> dict[str, str]:
    """A small real index, and the environment that points the app at it."""
    docs = folder / "docs"
    docs.mkdir()
    for i in range(20):
        (docs / f"note{i}.md").write_text(f"# Note {i}\n\nNote {i} is about topic {i % 5}.\n" * 5)
    env = dict(
        os.environ,
        TUIRAG_DATA_DIR=str(folder / "data"),
        TUIRAG_CONFIG=str(folder / "config.toml"),
        OLLAMA_HOST="http://127.0.0.1:9",
        PYTHONPATH=str(REPO),
    )
    (folder / "config.toml").write_text(f'[index]\nfolders = ["{docs}"]\n')
    subprocess.run([sys.executable, "-m", "tuirag", "ingest", "-q", str(docs)], env=env, check=True)
    return env


def run_once(env: dict[str, str]) -> dict[str, float]:
    env = dict(env, BENCH_T0=repr(time.time()))
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


COMMANDS = {
    "tuirag --help": ["--help"],
    "tuirag status": ["status"],
    "tuirag search --mode fts": ["search", "topic", "--mode", "fts"],
}


def command_seconds(python: str, argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(  # not in the checkout: `-m` would import the checkout it runs in
        [python, "-m", "tuirag", *argv],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
        cwd=env["TUIRAG_DATA_DIR"],
    )
    return time.perf_counter() - started


def command_rows(env: dict[str, str], runs: int, baseline: str | None) -> list[tuple]:
    """Median wall ms per command, ours and (paired, alternating) the baseline's."""
    rows = []
    for label, argv in COMMANDS.items():
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(command_seconds(sys.executable, argv, env) * 1000)
            if baseline:
                base_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
                theirs.append(command_seconds(baseline, argv, base_env) * 1000)
        row: tuple = (label, median(ours), min(ours), max(ours))
        if baseline:
            row += (median(theirs), median(theirs) / median(ours))
        rows.append(row)
    return rows


def typing(env: dict[str, str], keys: int, wait_idle: bool) -> dict[str, list]:
    code = TYPING.replace("KEYS", str(keys)).replace("WAIT_IDLE", str(wait_idle))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def typing_rows(folder: Path, files: int, keys: int) -> list[tuple]:
    """Key latency while the background indexer embeds `files` new files, then when idle."""
    docs = folder / "big"
    docs.mkdir()
    for i in range(files):
        words = " ".join(f"w{i}x{j}" for j in range(300))
        (docs / f"doc{i}.md").write_text(f"# Document {i}\n\n{words}\n")
    env = dict(
        os.environ,
        TUIRAG_DATA_DIR=str(folder / "data2"),
        TUIRAG_CONFIG=str(folder / "config2.toml"),
        OLLAMA_HOST="http://127.0.0.1:9",
        PYTHONPATH=str(REPO),
    )
    (folder / "config2.toml").write_text(f'[index]\nfolders = ["{docs}"]\n')
    rows = []
    for label in ("while indexing", "idle"):
        got = typing(env, keys, wait_idle=label == "idle")
        lat = [x * 1000 for x in got["latencies"]]
        share = sum(got["busy"]) / len(got["busy"])
        rows.append((label, len(lat), f"{share:.0%}", median(lat), percentile(lat, 95), max(lat)))
    return rows


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--files", type=int, help="new files indexed while typing (0: skip that part)")
    p.add_argument("--baseline", metavar="PYTHON", help="another checkout's python, paired runs")
    args = p.parse_args()
    runs = 3 if args.quick else args.runs
    files = args.files if args.files is not None else (100 if args.quick else 400)
    with tempfile.TemporaryDirectory(prefix="tuirag-bench-") as tmp:
        env = prepare(Path(tmp))
        run_once(env)  # warm the OS file cache; not counted
        results = [run_once(env) for _ in range(runs)]
        commands = command_rows(env, runs, args.baseline)
        keys = typing_rows(Path(tmp), files, 40) if files else []
    rows = [
        (
            c,
            median([r[c] for r in results]) * 1000,
            min(r[c] for r in results) * 1000,
            max(r[c] for r in results) * 1000,
        )
        for c in COLUMNS
    ]
    print(describe_machine(machine()))
    report(f"Start-up, ms since launch ({runs} runs)", ("milestone", "median", "min", "max"), rows)
    columns = ("command", "median", "min", "max")
    if args.baseline:
        columns += ("baseline median", "baseline / ours")
    report(f"Commands, wall ms per fresh process ({runs} runs)", columns, commands)
    report(
        f"Key press to handled, ms (background indexer on {files} new files)",
        ("typing", "keys", "indexing busy", "p50", "p95", "max"),
        keys,
    )
    write_json(
        args.json,
        {
            "runs": results,
            "commands": [dict(zip(columns, r, strict=True)) for r in commands],
            "median_ms": {r[0]: r[1] for r in rows},
            "typing": [
                dict(zip(("typing", "keys", "busy", "p50", "p95", "max"), r, strict=True))
                for r in keys
            ],
        },
    )


if __name__ == "__main__":
    main()
