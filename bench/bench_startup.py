"""Start-up of the terminal app: launch → first frame → interactive → index open.

First frame in a terminal: `python -m tuirag` started in a pseudo-terminal (80×24,
TERM=xterm-256color) over a small real index, Ollama unreachable; the time is from
just before the fork to the moment the first painted screen (its "No sources yet."
panel) is read from the terminal. With `--baseline PYTHON` every run of ours is paired
with one of the baseline's, alternating, and the floor is measured in the same rounds and
the same way (time to the same text on the terminal): Python started (`python -c
"print(...)"`), Python with `textual.app` imported, a one-Static Textual app's first
frame, and the first frame of a Textual app with the chat screen's widgets (footer,
input, option list, scroll view) but none of tuirag's code.

Then each run is a fresh `python` process running the real app headless (Textual's
run_test, no terminal) for the later milestones:
- interactive: a key typed into the question box is handled and repainted
  (measured at the repaint, not when Pilot returns: Pilot also waits for workers);
- index open: the embedder is loaded and LanceDB is open (in a worker).

Every process runs with bytecode (in a temporary PYTHONPYCACHEPREFIX, even where
PYTHONDONTWRITEBYTECODE is set), as an installed tuirag has it, after one warm-up run.

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
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from fcntl import ioctl
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
        marks["headless_frame"] = time.time() - t0
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

COLUMNS = ("python_started", "imported", "headless_frame", "interactive", "index_open")

FIRST_FRAME = b"No sources yet."  # in the chat screen's sources panel: the screen is painted

FLOOR_APP = r"""
from textual.app import App
from textual.widgets import Static

class Floor(App):
    def compose(self):
        yield Static("No sources yet.")

Floor().run()
"""

# the chat screen's Textual widgets (and as many footer keys) without tuirag's code; as a
# default screen (not a mode) its first frame comes before the footer keys, tuirag's after
FLOOR_WIDGETS = r"""
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, OptionList, Static

class Floor(App):
    BINDINGS = [Binding(f"f{n}", "bell", f"Key {n}") for n in range(1, 12)]

    def compose(self):
        with Horizontal():
            yield VerticalScroll()
            yield OptionList("No sources yet.")
        yield Input(placeholder="Ask about your files")
        yield Static("status")
        yield Footer()

Floor().run()
"""


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
        # bytecode, as an installed tuirag has it, kept here rather than in the checkouts
        PYTHONPYCACHEPREFIX=str(folder / "pycache"),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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


def terminal_first_frame(argv: list[str], env: dict[str, str], marker: bytes) -> float:
    """Seconds from exec to `marker` read from an 80×24 pseudo-terminal the command draws in."""
    env = dict(env, TERM="xterm-256color", COLUMNS="80", LINES="24")
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: its own session, the pty as its terminal
        try:
            os.chdir(env["TUIRAG_DATA_DIR"])  # not in the checkout (see command_seconds)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    seen = b""
    try:
        while marker not in seen:
            ready, _, _ = select.select([fd], [], [], 120)
            if not ready:
                raise TimeoutError(f"no first frame from {argv}: {seen[-300:]!r}")
            try:
                seen = seen[-len(marker) :] + os.read(fd, 65536)
            except OSError as exc:  # EIO: the terminal closed, the command is gone
                raise RuntimeError(f"{argv} ended before its first frame: {seen!r}") from exc
        return time.perf_counter() - started
    finally:
        os.killpg(pid, signal.SIGKILL)  # the app, its parse child and resource tracker
        os.waitpid(pid, 0)
        os.close(fd)


def first_frame_rows(env: dict[str, str], runs: int, baseline: str | None) -> list[tuple]:
    """First frame in a terminal, ours and the baseline's, and the floor, in the same rounds."""
    base_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    me = sys.executable
    printed = f"print({FIRST_FRAME.decode()!r})"  # the floor rows print the same marker
    variants = {
        "tuirag: first frame": lambda: terminal_first_frame([me, "-m", "tuirag"], env, FIRST_FRAME),
        "floor: python started": lambda: terminal_first_frame(
            [me, "-c", printed], env, FIRST_FRAME
        ),
        "floor: textual.app imported": lambda: terminal_first_frame(
            [me, "-c", f"import textual.app\n{printed}"], env, FIRST_FRAME
        ),
        "floor: one-Static Textual app, first frame": lambda: terminal_first_frame(
            [me, "-c", FLOOR_APP], env, FIRST_FRAME
        ),
        "floor: the same widgets without tuirag, first frame": lambda: terminal_first_frame(
            [me, "-c", FLOOR_WIDGETS], env, FIRST_FRAME
        ),
    }
    if baseline:
        variants["baseline: first frame"] = lambda: terminal_first_frame(
            [baseline, "-m", "tuirag"], base_env, FIRST_FRAME
        )
    for run in variants.values():
        run()  # warm the OS file cache and the bytecode; not counted
    times: dict[str, list[float]] = {label: [] for label in variants}
    for round_ in range(runs):
        order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
        for label in order:  # alternating order: no variant always runs first
            times[label].append(variants[label]() * 1000)
            time.sleep(0.2)  # let the killed app's children go
    ours = median(times["tuirag: first frame"])
    return [(label, median(ms), min(ms), max(ms), median(ms) / ours) for label, ms in times.items()]


def command_rows(env: dict[str, str], runs: int, baseline: str | None) -> list[tuple]:
    """Median wall ms per command, ours and (paired, alternating) the baseline's."""
    rows = []
    base_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    for label, argv in COMMANDS.items():
        command_seconds(sys.executable, argv, env)  # warm-up: bytecode, file cache
        if baseline:
            command_seconds(baseline, argv, base_env)
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(command_seconds(sys.executable, argv, env) * 1000)
            if baseline:
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
        loads = [os.getloadavg()[0]]
        frames = first_frame_rows(env, runs, args.baseline)
        loads.append(os.getloadavg()[0])
        commands = command_rows(env, runs, args.baseline)
        loads.append(os.getloadavg()[0])
        results = [run_once(env) for _ in range(runs)]
        loads.append(os.getloadavg()[0])
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
    frame_columns = ("variant", "median", "min", "max", "median / ours")
    report(
        f"First frame in a terminal, ms since exec "
        f"({runs} rounds, load {loads[0]:.1f}–{loads[1]:.1f})",
        frame_columns,
        frames,
    )
    columns = ("command", "median", "min", "max")
    if args.baseline:
        columns += ("baseline median", "baseline / ours")
    report(
        f"Commands, wall ms per fresh process ({runs} runs, load {loads[1]:.1f}–{loads[2]:.1f})",
        columns,
        commands,
    )
    report(
        f"Headless milestones, ms since launch ({runs} runs, load {loads[2]:.1f}–{loads[3]:.1f})",
        ("milestone", "median", "min", "max"),
        rows,
    )
    if keys:
        report(
            f"Key press to handled, ms (background indexer on {files} new files)",
            ("typing", "keys", "indexing busy", "p50", "p95", "max"),
            keys,
        )
    write_json(
        args.json,
        {
            "runs": results,
            "loads": loads,
            "first_frame": [dict(zip(frame_columns, r, strict=True)) for r in frames],
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
