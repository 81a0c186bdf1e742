"""Hostile file names (escape sequences, bidi overrides, newlines, C1 controls) reach no
terminal: every path the CLI prints goes through one safe formatter (issue 15, item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_run import foreign_escapes, tuirag, tuirag_tty
from tests.ollama_server import OllamaServer

HOSTILE = {
    "osc52": "clip\x1b]52;c;cHduZWQ=\x1b\\board",  # writes the clipboard
    "title": "\x1b]0;pwned\x07title",  # sets the window title
    "bidi": "invoice\u202egpj.exe",  # shows as invoiceexe.jpg
    "newline": "one\nskipped: fake",  # fakes a line of output
    "c1": "csi\x9b31mred",  # 8-bit CSI
}


@pytest.fixture
def hostile(docs: Path) -> Path:
    for key, name in HOSTILE.items():
        (docs / f"{name}.md").write_text(f"# Zebra {key}\n\nZebra crossings are striped.\n")
        (docs / f"{name}.txt").write_bytes(b"")  # skipped as empty: named in the summary
    return docs


def _check(output: str) -> None:
    assert not foreign_escapes(output), repr(output)
    assert "\nskipped: fake" not in output  # the newline stayed inside its line
    assert "one\\nskipped: fake" in output  # shown literally, escaped


def test_ingest_and_status_show_hostile_names_literally_in_a_pipe(hostile: Path) -> None:
    ingest = tuirag("ingest", str(hostile))
    assert ingest.returncode == 0, ingest.stderr
    _check(ingest.stdout + ingest.stderr)
    assert sum(line.startswith("skipped: ") for line in ingest.stdout.splitlines()) == 5
    assert "invoice\\u202egpj.exe.txt: empty file" in ingest.stdout
    status = tuirag("status")
    _check(status.stdout + status.stderr)
    as_json = tuirag("status", "--json")
    data = json.loads(as_json.stdout)
    assert not foreign_escapes(as_json.stdout)
    shown = {p["path"] for p in data["problems"]}
    assert str(hostile / f"{HOSTILE['osc52']}.txt") in shown  # JSON keeps the name exactly


def test_hostile_names_on_a_terminal_only_get_tuirags_own_styling(hostile: Path) -> None:
    for args in (["ingest", str(hostile)], ["status"], ["search", "zebra crossings", "-k", "10"]):
        code, output = tuirag_tty(*args)
        assert code == 0, output
        _check(output)
    assert "csi\\x9b31mred.md" in output  # the search listed it, escaped


def test_ask_json_escapes_c1_and_bidi_but_keeps_the_path(
    hostile: Path, ollama_server: OllamaServer
) -> None:
    assert tuirag("ingest", str(hostile)).returncode == 0
    ollama_server.reply = "Zebra crossings are striped [1]."
    result = tuirag("ask", "--json", "-k", "10", "Are zebra crossings striped?")
    assert result.returncode == 0, result.stderr
    assert not foreign_escapes(result.stdout), result.stdout
    paths = {s["path"] for s in json.loads(result.stdout)["sources"]}
    assert str(hostile / f"{HOSTILE['c1']}.md") in paths
    assert str(hostile / f"{HOSTILE['bidi']}.md") in paths
