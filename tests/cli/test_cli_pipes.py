"""A closed stdout (`tuirag search … | head -1`, `| grep -q`) ends a command quietly.

Each command runs with its stdout a pipe whose reader is already gone, so the first
write fails with EPIPE wherever it happens (json.dumps, Rich, a streamed token).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import write
from tests.ollama_server import OllamaServer
from tuirag.services import Services

pytestmark = pytest.mark.timeout(180)

ROWS = "\n".join(f"Row {n}: the frobnicator model {n} weighs {n * 3} kg." for n in range(1, 80))


@pytest.fixture
def indexed(services: Services, docs: Path) -> Path:
    write(docs / "frob.md", "# Frobnicators\n\n" + ROWS + "\n")
    services.settings.index.folders = [str(docs)]
    assert not services.indexer([docs]).sync([docs]).failed
    return docs


def run_into_closed_pipe(*args: str) -> tuple[int, str]:
    """Run `tuirag ARGS` with stdout's reader closed before it writes; (exit code, stderr)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tuirag", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    return proc.returncode, proc.stderr.decode(errors="replace")


def head_1(*args: str) -> tuple[int, bytes, str]:
    """`tuirag ARGS | head -1`: read one line, then close the pipe."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuirag", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    proc.stdout.close()
    code = proc.wait(timeout=120)
    return code, line, proc.stderr.read().decode(errors="replace")


@pytest.mark.parametrize(
    "args",
    [
        ("search", "frobnicator weight", "--json"),
        ("search", "frobnicator weight"),
        ("status",),
        ("status", "--json"),
    ],
    ids=" ".join,
)
def test_search_and_status_exit_quietly_on_a_closed_pipe(indexed: Path, args: tuple[str]) -> None:
    code, stderr = run_into_closed_pipe(*args)
    assert (code, stderr) == (0, "")


def test_search_json_into_head_gives_one_line_and_no_traceback(indexed: Path) -> None:
    code, line, stderr = head_1("search", "frobnicator weight", "-k", "20", "--json")
    assert line == b"[\n"
    assert (code, stderr) == (0, "")


def test_ask_exits_quietly_on_a_closed_pipe(indexed: Path, ollama_server: OllamaServer) -> None:
    ollama_server.reply = "It weighs 9 kg [1]."
    for args in (("ask", "How much does model 3 weigh?"), ("ask", "model 3?", "--json")):
        code, stderr = run_into_closed_pipe(*args)
        assert (code, stderr) == (0, ""), args


def test_eval_exits_quietly_on_a_closed_pipe(docs: Path, tmp_path: Path) -> None:
    write(docs / "frob.md", "# Frobnicators\n\n" + ROWS + "\n")
    questions = tmp_path / "questions.jsonl"
    question = {"question": "What does model 7 weigh?", "answer_contains": ["21 kg"]}
    questions.write_text(json.dumps({**question, "file": "frob.md"}) + "\n")
    for extra in ((), ("--json",)):
        code, stderr = run_into_closed_pipe(
            "eval", str(questions), "--corpus", str(docs), "--modes", "fts", *extra
        )
        assert (code, stderr) == (0, ""), extra
