"""Cut sections into chunks that fit the embedder, measured with its own tokenizer.

Cuts fall on paragraph breaks, then line ends, then sentence ends, then spaces,
never inside a word; consecutive chunks overlap by about `overlap` tokens. Each
chunk knows its page and line range, and repeats its section's header.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from tokenizers import Tokenizer

from tuirag.types import Chunk, Section

CHUNKER_VERSION = "1"
WINDOW_CHARS = 100_000  # text tokenized at once: ~25k tokens, a few MB, whatever the file
_SPECIAL_TOKENS = 2  # [CLS] and [SEP], which the model adds
_BREAKS = [
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?。！？;；]\s"),
    re.compile(r"\s"),
]


class Chunker:
    def __init__(self, tokenizer: Tokenizer, max_tokens: int, overlap: int) -> None:
        self.tokenizer = tokenizer
        self.max_tokens = max(32, max_tokens)
        self.overlap = max(0, min(overlap, self.max_tokens // 2))

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def chunk(self, sections: Iterable[Section]) -> Iterator[Chunk]:
        ordinal = 0
        for section in self._pack_rows(sections):
            for chunk in self._section(section, ordinal):
                yield chunk
                ordinal += 1

    def _budget(self, header: str) -> int:
        header_cost = self.count(header) + 1 if header else 0
        return max(16, self.max_tokens - _SPECIAL_TOKENS - header_cost)

    def _pack_rows(self, sections: Iterable[Section]) -> Iterator[Section]:
        """Join consecutive rows of one table into whole-row groups that fit.

        A row is a section with kind "table", split=False and a header; rows of one
        table share header, heading and page.
        """
        run: list[Section] = []
        for section in sections:
            is_row = section.kind == "table" and not section.split and bool(section.header)
            key = (section.header, section.heading, section.page)
            if is_row and (not run or key == (run[0].header, run[0].heading, run[0].page)):
                run.append(section)
                continue
            yield from self._pack_run(run)
            run = [section] if is_row else []
            if not is_row:
                yield section
        yield from self._pack_run(run)

    def _pack_run(self, rows: list[Section]) -> Iterator[Section]:
        """Rows of one table in the fewest groups of about equal size within the budget.

        Equal groups keep a lone last row from becoming a tiny chunk that outranks
        its table. A single row too big for any chunk is the one case where a row
        is cut (by the normal splitter, header repeated).
        """
        if not rows:
            return
        budget = self._budget(rows[0].header.strip())
        costs = [self.count(r.text) + 1 for r in rows]
        fits = [c for c in costs if c <= budget]
        count = max(1, math.ceil(sum(fits) / budget))
        while True:
            groups = _greedy(rows, costs, budget, sum(fits) / count)
            if sum(1 for g in groups if isinstance(g, list)) <= count:
                break
            count += 1
        for group in groups:
            yield _join_rows(group) if isinstance(group, list) else replace(group, split=True)

    def _section(self, section: Section, first_ordinal: int) -> Iterator[Chunk]:
        text = section.text
        if not text.strip():
            return
        header = section.header.strip()
        budget = self._budget(header)
        newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        spans = [(0, len(text))] if not section.split else list(self._spans(text, budget))
        for n, (start, end) in enumerate(spans):
            body = text[start:end].strip()
            if not body:
                continue
            lead = len(text[start:end]) - len(text[start:end].lstrip())
            first = start + lead
            last = first + len(body) - 1
            start_line = end_line = None
            if section.start_line is not None:
                start_line = section.start_line + bisect.bisect_left(newlines, first)
                end_line = section.start_line + bisect.bisect_left(newlines, last)
                if not section.split and "end_line" in section.meta:  # packed table rows
                    end_line = section.meta["end_line"]
            yield Chunk(
                text=f"{header}\n{body}" if header and not body.startswith(header) else body,
                ordinal=first_ordinal + n,
                kind=section.kind,
                page=section.page,
                start_line=start_line,
                end_line=end_line,
                heading=section.heading,
                meta=section.meta,
            )

    def _spans(self, text: str, budget: int) -> Iterator[tuple[int, int]]:
        """Chunk spans of `text`, tokenized a window at a time so that memory stays
        bounded on any input (a 9 MB single-line file took 1.8 GB in one encode)."""
        pos = 0
        while len(text) - pos > WINDOW_CHARS:
            end = _window_end(text, pos)
            for start, stop in self._window_spans(text[pos:end], budget):
                yield pos + start, pos + stop
            pos = end
        for start, stop in self._window_spans(text[pos:], budget):
            yield pos + start, pos + stop

    def _window_spans(self, text: str, budget: int) -> Iterator[tuple[int, int]]:
        offsets = self.tokenizer.encode(text, add_special_tokens=False).offsets
        if len(offsets) <= budget:
            yield 0, len(text)
            return
        starts = [o[0] for o in offsets]
        pos = 0
        while pos < len(text):
            first_tok = bisect.bisect_left(starts, pos)
            if len(offsets) - first_tok <= budget:
                yield pos, len(text)
                return
            limit = offsets[first_tok + budget - 1][1]  # end of the last token that fits
            floor = offsets[first_tok + budget // 2][0]  # do not cut before half the budget
            end = self._cut(text, floor, limit, starts)
            yield pos, end
            back_tok = max(first_tok + 1, bisect.bisect_left(starts, end) - self.overlap)
            nxt = self._word_start(text, starts[back_tok], end)
            pos = nxt if nxt > pos else end

    @staticmethod
    def _cut(text: str, floor: int, limit: int, starts: list[int]) -> int:
        """The best place to end a chunk in text[floor:limit]: the latest strongest break."""
        window = text[floor:limit]
        for pattern in _BREAKS:
            matches = list(pattern.finditer(window))
            if matches:
                return floor + matches[-1].end()
        # no whitespace at all (CJK, long identifiers): end on a token boundary
        i = bisect.bisect_right(starts, limit) - 1
        return max(starts[i], floor + 1) if starts[i] > floor else limit

    @staticmethod
    def _word_start(text: str, pos: int, end: int) -> int:
        """Move an overlap start forward to the start of a word."""
        if pos == 0 or text[pos - 1].isspace():
            return pos
        match = re.compile(r"\s").search(text, pos, end)
        return match.end() if match else pos


def _window_end(text: str, pos: int) -> int:
    """Where a tokenizing window starting at `pos` ends: at a line end or space in its
    second half if there is one (a chunk then never straddles two windows)."""
    limit = pos + WINDOW_CHARS
    for sep in ("\n", " "):
        cut = text.rfind(sep, pos + WINDOW_CHARS // 2, limit)
        if cut != -1:
            return cut + 1
    return limit


def _greedy(
    rows: list[Section], costs: list[int], budget: int, target: float
) -> list[list[Section] | Section]:
    """Fill groups up to about `target` tokens; an oversized row stands alone."""
    groups: list[list[Section] | Section] = []
    group: list[Section] = []
    used = 0
    for row, cost in zip(rows, costs, strict=True):
        if group and (cost > budget or used + cost > budget or used + cost / 2 > target):
            groups.append(group)
            group, used = [], 0
        if cost > budget:
            groups.append(row)
            continue
        group.append(row)
        used += cost
    if group:
        groups.append(group)
    return groups


def _join_rows(rows: list[Section]) -> Section:
    """Rows of one table as one unsplittable section spanning their line range."""
    first, last = rows[0], rows[-1]
    end = last.meta.get("end_line", last.start_line)
    text = "\n".join(r.text for r in rows)
    return replace(first, text=text, meta={**first.meta, "end_line": end})
