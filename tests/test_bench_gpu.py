"""bench/bench_gpu.py in its CI-free mode: the loopback server stands in for Ollama on a GPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import write

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_gpu.py"


def test_bench_gpu_replays_ask_requests_per_context_and_writes_a_table(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "product.md", "# Zephyr 3000\n\nThe Zephyr 3000 blender costs 149 euros.\n")
    write(corpus / "garden.md", "# Tomatoes\n\nPlant tomatoes 60 cm apart after the frost.\n")
    questions = write(
        tmp_path / "questions.jsonl",
        '{"question": "How much does the Zephyr 3000 blender cost?", '
        '"answer_contains": ["149 euros"], "file": "product.md"}\n'
        '{"question": "How far apart should tomatoes be planted?", '
        '"answer_contains": ["60 cm"], "file": "garden.md"}\n',
    )
    table = tmp_path / "gpu.md"
    args = ["--loopback", "--ctx", "4096", "8192", "--markdown", str(table)]
    args += ["--questions", str(questions), "--corpus", str(corpus)]
    run = subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    method, _, header, _rule, *rows = table.read_text().splitlines()
    assert "the loopback test server (scripted; sizes simulated)" in method
    assert "2 `tuirag ask` requests" in method
    assert header.split("|")[1:4] == [" num_ctx ", " loaded ", " in VRAM "]
    cells = [[c.strip() for c in row.split("|")[1:-1]] for row in rows]
    assert [c[0] for c in cells] == ["4096", "8192"]
    # the 7B's weights (4.68 GB) plus its KV cache: 0.23 GB at 4096, 0.47 GB at 8192
    assert [c[1] for c in cells] == ["4.9 GB", "5.2 GB"]
    assert all(c[3] == "100%" for c in cells)
    assert all(float(c[5]) >= 0.25 for c in cells)  # each new window reloaded the model
    assert all(float(c[7]) > 0 and float(c[10]) > 0 for c in cells)  # TTFT and decode measured


def test_bench_gpu_speaks_llama_server_too(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "product.md", "# Zephyr 3000\n\nThe Zephyr 3000 blender costs 149 euros.\n")
    questions = write(
        tmp_path / "questions.jsonl",
        '{"question": "How much does the Zephyr 3000 blender cost?", '
        '"answer_contains": ["149 euros"], "file": "product.md"}\n',
    )
    table = tmp_path / "gpu.md"
    args = ["--loopback", "--api", "llama-server", "--markdown", str(table)]
    args += ["--questions", str(questions), "--corpus", str(corpus)]
    run = subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    method, _, _header, _rule, row = table.read_text().splitlines()
    assert "speaking llama-server's API" in method
    cells = [c.strip() for c in row.split("|")[1:-1]]
    # the window llama-server reports in /props; no /api/ps or load figures there
    assert cells[:6] == ["4096", "?", "?", "?", "–", "–"]
    assert float(cells[9]) > 0 and float(cells[10]) > 0  # prefill and decode from its timings
