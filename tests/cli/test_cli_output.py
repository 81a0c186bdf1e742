"""CLI output: paths are clickable in a terminal, plain in a pipe, never escape sequences."""

from __future__ import annotations

import io

from rich.console import Console

from tuirag.cli.output import path_text
from tuirag.text import human_bytes

EVIL = "/tmp/a b/evil\x1b]52;c;SGk=\x07[bold].md"


def test_a_path_is_an_osc8_link_in_a_terminal_with_its_escapes_defused() -> None:
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="standard").print(path_text(EVIL))
    text = out.getvalue()
    assert (
        "\x1b]8;id=" in text
        and "file:///tmp/a%20b/evil%1B%5D52%3Bc%3BSGk%3D%07%5Bbold%5D.md" in text
    )
    assert "/tmp/a b/evil]52;c;SGk=[bold].md" in text  # shown literally, ESC and BEL removed
    assert "\x1b]52" not in text and "\x07" not in text


def test_a_path_is_plain_text_in_a_pipe() -> None:
    out = io.StringIO()
    Console(file=out).print(path_text(EVIL, "bold"))
    assert out.getvalue() == "/tmp/a b/evil]52;c;SGk=[bold].md\n"


def test_sizes_are_decimal_like_ollama_list() -> None:
    assert human_bytes(999) == "999 B"
    assert human_bytes(1500) == "1.5 kB"
    assert human_bytes(4_683_087_332) == "4.7 GB"  # qwen2.5:7b-instruct-q4_K_M in `ollama list`
    assert human_bytes(2_500_000_000_000) == "2500.0 GB"
