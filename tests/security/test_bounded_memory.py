"""Text is parsed in the memory-limited parser child and chunked a window at a time, so a
huge single-line file cannot take gigabytes (issue 15, item 5); a file that starts with a
UTF-16 byte-order mark is decoded as UTF-16 only when the result is plausible text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tuirag.formats.common import read_text
from tuirag.formats.text import MarkdownPlugin, TextPlugin
from tuirag.plugins.base import PluginError

PEAK = """
import random, resource
from tuirag.backends.embedder import bundled_tokenizer
from tuirag.ingest.chunker import Chunker
from tuirag.types import Section
rng = random.Random(1)
text = " ".join(f"w{rng.randrange(3000)}" for _ in range(800_000))  # ~4.5 MB, one line
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
chunks = sum(1 for _ in Chunker(bundled_tokenizer(), 256, 50).chunk(
    [Section(text=text, kind="prose", start_line=1)]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(chunks, (after - before) // 1024)
"""


def test_a_huge_single_line_is_chunked_in_bounded_memory() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PEAK], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    chunks, grew_mb = map(int, out.split())
    assert chunks > 10_000
    assert grew_mb < 150, f"chunking grew the process by {grew_mb} MB"  # one encode: ~900 MB


def test_text_and_markdown_parse_in_the_limited_child() -> None:
    assert TextPlugin({}).isolate and MarkdownPlugin({}).isolate


def test_utf16_is_decoded_only_when_plausible(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_bytes("\ufeffCafé menu\nSoup of the day: 4 €\n".encode("utf-16-le"))
    assert read_text(real) == "Café menu\nSoup of the day: 4 €\n"
    chinese = tmp_path / "zh.txt"
    chinese.write_bytes("\ufeff中文文本，这是一个测试。\n".encode("utf-16-le") * 20)
    assert read_text(chinese).startswith("中文文本")
    latin = tmp_path / "latin.txt"  # a latin-1 file that happens to start with "ÿþ"
    latin.write_bytes("ÿþ is how the thorn looks in Latin-1 text files.".encode("latin-1"))
    try:
        text = read_text(latin)
    except PluginError as exc:
        assert str(exc).startswith("not UTF-8 text")
    else:  # a later encoding detector may read it as Latin-1: never as UTF-16 noise
        assert "thorn" in text
