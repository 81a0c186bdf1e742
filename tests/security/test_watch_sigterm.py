"""SIGTERM while `tuirag watch` is indexing (what systemd sends on every stop) exits 0,
promptly, with no C++ abort, and leaves a consistent index (issue 15, item 6)."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.watch_helpers import assert_consistent
from tuirag.services import Services


def test_sigterm_mid_batch_exits_0_and_the_index_is_consistent(
    services: Services, docs: Path
) -> None:
    rng = random.Random(3)
    vocabulary = [f"word{n}" for n in range(5000)]
    for i in range(150):  # distinct text: every chunk must be embedded, which takes a while
        body = " ".join(rng.choice(vocabulary) for _ in range(150))
        (docs / f"n{i:03}.md").write_text(f"# Note {i}\n\n{body}\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuirag", "watch", str(docs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        seen = ""
        while "indexed " not in seen:  # the first batch is written: now mid-work
            assert time.monotonic() < deadline, seen
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            if select.select([proc.stdout], [], [], 1)[0]:
                seen += proc.stdout.readline() if proc.stdout else ""
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "terminate called" not in err and "Traceback" not in err, err
    assert out.strip().splitlines()[-1].endswith(("stopped", "the next start indexes the rest"))
    services.store.refresh()
    assert 0 < len(services.store.file_records()) < 150  # it stopped part-way
    assert_consistent(services.store)
