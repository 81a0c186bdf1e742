"""The chunker: token limits from the real tokenizer, no split words, right line ranges."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from tuirag.backends.embedder import bundled_tokenizer
from tuirag.formats.text import split_markdown
from tuirag.ingest.chunker import Chunker
from tuirag.types import Section


@pytest.fixture(scope="module")
def chunker() -> Chunker:
    return Chunker(bundled_tokenizer(), max_tokens=96, overlap=12)


def _text(seed: int = 3, lines: int = 150) -> tuple[str, set[str]]:
    rng = random.Random(seed)
    vocab = [
        "router",
        "bandwidth",
        "x86_64",
        "configuration",
        "antidisestablishment",
        "wifi",
        "a",
        "GHz",
    ]
    out = []
    for i in range(lines):
        out.append(" ".join(rng.choice(vocab) for _ in range(rng.randint(2, 14))) + ".")
        if i % 6 == 0:
            out.append("")
    return "\n".join(out), set(vocab)


def test_chunks_fit_the_token_budget_and_never_split_words(chunker: Chunker) -> None:
    text, vocab = _text()
    chunks = list(chunker.chunk([Section(text=text, start_line=1)]))
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunker.count(chunk.text) <= 96 - 2
        for word in chunk.text.replace(".", " ").split():
            assert word in vocab, f"split word {word!r}"


def test_line_ranges_point_at_the_text(chunker: Chunker) -> None:
    text, _ = _text(seed=5)
    lines = text.split("\n")
    chunks = list(chunker.chunk([Section(text=text, start_line=1)]))
    for chunk in chunks:
        assert chunk.text in "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
        assert lines[chunk.start_line - 1].strip() and lines[chunk.end_line - 1].strip()
    # consecutive chunks overlap a little, and together cover every line
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start_line, chunk.end_line + 1))
    assert {i + 1 for i, line in enumerate(lines) if line.strip()} <= covered
    assert any(b.start_line <= a.end_line for a, b in pairwise(chunks))


def test_small_section_is_one_chunk_with_offset_lines(chunker: Chunker) -> None:
    chunks = list(
        chunker.chunk([Section(text="\n\nhello world\nsecond line\n", start_line=10, page=3)])
    )
    assert len(chunks) == 1
    assert (chunks[0].start_line, chunks[0].end_line, chunks[0].page) == (12, 13, 3)
    assert chunks[0].text == "hello world\nsecond line"


def test_header_is_repeated_in_every_chunk(chunker: Chunker) -> None:
    text, _ = _text(seed=9, lines=60)
    chunks = list(chunker.chunk([Section(text=text, header="| name | price |", kind="table")]))
    assert len(chunks) > 2
    assert all(c.text.startswith("| name | price |\n") for c in chunks)
    assert all(chunker.count(c.text) <= 94 for c in chunks)


def test_text_without_spaces_is_cut_on_token_boundaries(chunker: Chunker) -> None:
    text = "路由器支持双频无线网络。" * 40
    chunks = list(chunker.chunk([Section(text=text)]))
    assert len(chunks) > 2
    assert all(chunker.count(c.text) <= 94 for c in chunks)
    assert "".join(c.text for c in chunks).count("路") >= 40  # nothing lost


def test_markdown_sections_carry_heading_paths() -> None:
    md = (
        "# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n```\n# not a heading\n```\n\n"
        "### Linux\n\napt install\n\n# Other\n\ntext"
    )
    sections = list(split_markdown(md))
    assert [s.heading for s in sections] == [
        "Guide",
        "Guide > Install",
        "Guide > Install > Linux",
        "Other",
    ]
    assert sections[1].start_line == 5
    assert "# not a heading" in sections[1].text
