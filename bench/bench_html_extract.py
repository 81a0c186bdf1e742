#!/usr/bin/env python3
"""HTML main-content extraction: tuirag's rules against trafilatura and readability-lxml.

On the real-document eval set's HTML pages (bench/eval/real: PostgreSQL reference
pages and the Chinese New Maintainers' Guide), for each extractor: milliseconds per
page, how many of the eval questions' answer strings survive (content kept),
on how many pages a navigation bar survives (two or more of Prev/Up/Home/Next or
上一页/下一页/起始页 as words), and whether table rows stay rows (both cells of a
table row on one line). The two libraries are optional: install them in a
separate venv to compare (`pip install trafilatura readability-lxml`); tuirag does
not depend on them.

    python bench/bench_html_extract.py bench/eval/real/corpus [--rounds 3]
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import common

from tuirag.evaluate import squash
from tuirag.formats.documents import html_sections

NAV_WORDS = re.compile(r"\b(Prev|Next|Up|Home)\b|(上一页|下一页|起始页|上一级)")


def tuirag_text(data: bytes) -> str:
    return "\n".join(f"{s.heading}\n{s.header}\n{s.text}" for s in html_sections(data))


def trafilatura_text(data: bytes) -> str:
    import trafilatura

    return trafilatura.extract(data.decode("utf-8"), include_tables=True, favor_recall=True) or ""


def readability_text(data: bytes) -> str:
    from lxml import html
    from readability import Document

    summary = Document(data.decode("utf-8")).summary()
    return html.fromstring(summary).text_content()


def has_navigation(text: str) -> bool:
    """Two or more of the navigation links' labels as words: a Prev/Up/Home/Next bar."""
    return len({m.group(0) for m in NAV_WORDS.finditer(text)}) >= 2


def main() -> int:
    ap = common.parser(__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    questions = [
        json.loads(line)
        for line in (common.REPO / "bench/eval/real/questions.jsonl").read_text().splitlines()
    ]
    pages = sorted(args.corpus.rglob("*.html"))
    extractors: dict[str, Callable[[bytes], str]] = {"tuirag": tuirag_text}
    for name, fn, module in (
        ("trafilatura", trafilatura_text, "trafilatura"),
        ("readability-lxml", readability_text, "readability"),
    ):
        try:
            __import__(module)
            extractors[name] = fn
        except ImportError:
            print(f"{name} not installed: skipped")
    rows = []
    for name, extract in extractors.items():
        times, kept, wanted, leaked, navs, table_rows, table_total = [], 0, 0, 0, 0, 0, 0
        for page in pages:
            data = page.read_bytes()
            best = float("inf")
            for _ in range(1 if args.quick else args.rounds):
                started = time.perf_counter()
                text = extract(data)
                best = min(best, time.perf_counter() - started)
            times.append(best * 1000)
            flat = squash(text)
            rel = page.relative_to(args.corpus).as_posix()
            for q in questions:
                if q["file"] == rel:
                    wanted += 1
                    kept += all(squash(a) in flat for a in q["answer_contains"])
            navs += has_navigation(data.decode("utf-8"))
            leaked += has_navigation(text)
            for q in questions:  # table questions: both strings on one line
                if q["file"] == rel and q.get("style") == "table":
                    table_total += 1
                    table_rows += any(
                        all(squash(a) in squash(line) for a in q["answer_contains"])
                        for line in text.splitlines()
                    )
        rows.append(
            [
                name,
                statistics.median(times),
                sum(times),
                f"{kept}/{wanted}",
                f"{leaked}/{navs}",
                f"{table_rows}/{table_total}",
            ]
        )
    print(f"\n{common.describe_machine(common.machine())}; {len(pages)} pages")
    common.report(
        "HTML main-content extraction",
        [
            "extractor",
            "ms/page p50",
            "ms total",
            "answers kept",
            "pages with a nav bar",
            "table rows kept",
        ],
        rows,
    )
    common.write_json(args.json, {"benchmark": "html_extract", "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
