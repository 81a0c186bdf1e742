"""Nothing leaves the machine while files are parsed: every network attempt is audited.

Each check runs in a fresh interpreter with an audit hook that records (and
blocks) every DNS lookup and socket connection to a non-loopback address.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tuirag.privacy import OPT_OUTS

HOOK = r"""
import json, socket, sys, threading
attempts = []
LOCAL = ("localhost", "127.0.0.1", "::1", None, "")

def hook(event, args):
    host = None
    if event == "socket.getaddrinfo":
        host = args[0]
    elif event == "socket.connect" and isinstance(args[1], tuple):
        host = args[1][0]
    elif event == "socket.gethostbyname":
        host = args[0]
    else:
        return
    host = host.decode() if isinstance(host, bytes) else host
    if host not in LOCAL and not str(host).startswith("127."):
        attempts.append(f"{event} {host}")
        raise RuntimeError("network blocked by test")

sys.addaudithook(hook)

def report():
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(5)
    print("ATTEMPTS=" + json.dumps(attempts))
"""

PARSE_ALL = r"""
import tuirag
from pathlib import Path
sys.path.insert(0, TESTS)
import plugin_files as f
from tuirag.ingest.parse import parse_file
from tuirag.plugins.registry import load_registry
d = Path(FOLDER)
paths = [f.manual_pdf(d / "m.pdf"), f.prices_xlsx(d / "p.xlsx"), f.prices_xls(d / "p.xls"),
         f.report_docx(d / "r.docx"), f.deck_pptx(d / "d.pptx"), f.mail_eml(d / "m.eml")]
for name, text in [("g.html", f.PAGE_HTML), ("g.rst", f.PAGE_RST), ("c.py", f.PYTHON_SOURCE),
                   ("s.csv", "a,b\n1,2\n"), ("n.md", "# T\n\nx\n")]:
    (d / name).write_text(text)
    paths.append(d / name)
registry = load_registry()
for path in paths:
    assert parse_file(registry.for_path(path), path), path
report()
"""


def _run(tmp_path: Path, body: str, env: dict[str, str]) -> list[str]:
    tests = Path(__file__).parents[1]
    script = HOOK + f"TESTS = {str(tests)!r}\nFOLDER = {str(tmp_path)!r}\n" + body
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180
    )
    if "SKIP:" in done.stdout:
        pytest.skip(done.stdout.split("SKIP:", 1)[1].strip())
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("ATTEMPTS="))
    return json.loads(line.removeprefix("ATTEMPTS="))


def _env(opted_out: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OPT_OUTS}
    env["UNSTRUCTURED_DISABLE_NOTICE"] = "1"
    if opted_out:
        env |= OPT_OUTS
    return env


def test_parsing_every_format_makes_no_network_attempt(tmp_path: Path) -> None:
    assert _run(tmp_path, PARSE_ALL, _env(opted_out=False)) == []


UNSTRUCTURED = r"""
try:
    import importlib.util
    if importlib.util.find_spec("unstructured") is None:
        raise ImportError
except ImportError:
    print("SKIP: unstructured is not installed (it is only in the layout extra)")
    raise SystemExit(0)
IMPORT_TUIRAG
import unstructured
report()
"""


def test_importing_tuirag_first_silences_unstructured_telemetry(tmp_path: Path) -> None:
    body = UNSTRUCTURED.replace("IMPORT_TUIRAG", "import tuirag")
    assert _run(tmp_path, body, _env(opted_out=False)) == []


def test_the_audit_sees_unstructured_phone_home_without_the_opt_outs(tmp_path: Path) -> None:
    """The control: the same import without tuirag's opt-outs does try to connect."""
    body = UNSTRUCTURED.replace("IMPORT_TUIRAG", "")
    attempts = _run(tmp_path, body, _env(opted_out=False))
    assert any("packages.unstructured.io" in a for a in attempts), attempts
