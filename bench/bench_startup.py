"""Start-up of the terminal app: launch → first frame → interactive → index open.

Each run is a fresh `python` process (interpreter start and imports included)
running the real app headless at 80×24 over a small real index, with Ollama
unreachable:
- first frame: the first screen is painted (Textual's run_test yields);
- interactive: a key typed into the question box is handled and repainted
  (measured at the repaint, not when Pilot returns: Pilot also waits for workers);
- index open: the embedder is loaded and LanceDB is open (in a worker).

    .venv/bin/python bench/bench_startup.py [--runs N] [--quick] [--json PATH]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, describe_machine, machine, median, parser, report, write_json

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

COLUMNS = ("python_started", "imported", "first_frame", "interactive", "index_open")


def prepare(folder: Path) -> dict[str, str]:
    """A small real index, and the environment that points the app at it."""
    docs = folder / "docs"
    docs.mkdir()
    for i in range(20):
        (docs / f"note{i}.md").write_text(f"# Note {i}\n\nNote {i} is about topic {i % 5}.\n" * 5)
    env = dict(os.environ, TUIRAG_DATA_DIR=str(folder / "data"),
               TUIRAG_CONFIG=str(folder / "config.toml"), OLLAMA_HOST="http://127.0.0.1:9",
               PYTHONPATH=str(REPO))
    (folder / "config.toml").write_text(f'[index]\nfolders = ["{docs}"]\n')
    subprocess.run([sys.executable, "-m", "tuirag", "ingest", "-q", str(docs)], env=env,
                   check=True)
    return env


def run_once(env: dict[str, str]) -> dict[str, float]:
    env = dict(env, BENCH_T0=repr(time.time()))
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10)
    args = p.parse_args()
    runs = 3 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="tuirag-bench-") as tmp:
        env = prepare(Path(tmp))
        run_once(env)  # warm the OS file cache; not counted
        results = [run_once(env) for _ in range(runs)]
    rows = [
        (c, median([r[c] for r in results]) * 1000, min(r[c] for r in results) * 1000,
         max(r[c] for r in results) * 1000)
        for c in COLUMNS
    ]
    print(describe_machine(machine()))
    report(f"Start-up, ms since launch ({runs} runs)", ("milestone", "median", "min", "max"), rows)
    write_json(args.json, {"runs": results, "median_ms": {r[0]: r[1] for r in rows}})


if __name__ == "__main__":
    main()
