"""Run the real `tuirag` command as a user would: in a pipe, or on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

# What rich itself may write on a terminal: colours (SGR), the progress bar's cursor
# moves (show/hide, up, erase line) and OSC 8 hyperlinks. Anything else starting
# with ESC or a C1 control came from untrusted text.
_OWN_ESCAPES = re.compile(
    r"\x1b\[[0-9;]*m|\x1b\[\?25[hl]|\x1b\[[0-9]*[AK]|\x1b\]8;[^\x1b\x07]*(?:\x1b\\|\x07)"
)


def tuirag(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess[str]:
    """`tuirag ARGS` with stdout and stderr as pipes."""
    return subprocess.run(
        [sys.executable, "-m", "tuirag", *args],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=timeout,
        **kwargs,
    )


def tuirag_tty(*args: str, timeout: float = 120) -> tuple[int, str]:
    """`tuirag ARGS` with stdout and stderr on one pseudo-terminal: (exit code, output)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuirag", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(leader)
    code = proc.wait(timeout=10)
    return code, b"".join(chunks).decode("utf-8", "replace")


def foreign_escapes(output: str) -> list[str]:
    """Escape sequences and controls in `output` that tuirag's own styling does not make."""
    rest = _OWN_ESCAPES.sub("", output)
    return re.findall(r"[\x1b\x80-\x9f\u202a-\u202e\u2066-\u2069]", rest)
