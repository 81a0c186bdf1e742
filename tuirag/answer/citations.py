"""The [n] markers of an answer: which numbered sources it cites."""

from __future__ import annotations

import re

# "[2]", "[1, 3]": one or more source numbers in brackets
CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def cited(answer: str, sources: int) -> list[int]:
    """Source numbers (1-based, each once, in order of first citation) that exist."""
    numbers: dict[int, None] = {}
    for match in CITATION.finditer(answer):
        for part in match.group(1).split(","):
            n = int(part)
            if 1 <= n <= sources:
                numbers.setdefault(n)
    return list(numbers)


def cited_first(answer: str, sources: int) -> list[tuple[int, bool]]:
    """Every source number with whether the answer cites it: cited ones first."""
    first = cited(answer, sources)
    rest = [n for n in range(1, sources + 1) if n not in first]
    return [(n, True) for n in first] + [(n, False) for n in rest]
