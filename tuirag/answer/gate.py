"""Which retrieved passages go to the model: drop one only when both signals call it unrelated.

A cosine cut alone (answer.min_score) drops the right passage when its vector is
far from the question's although its words match: table rows, version numbers,
code. Hybrid search ranked such a passage in the top k for its words, so a passage
is kept when its cosine reaches min_score *or* it holds at least half of the
question's content words. The answer skips the model only when every passage is
weak on both (an off-topic question), so the model is not tempted to invent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tuirag.types import Hit

# Words that carry no topic: a passage sharing only these with the question is no match.
_STOP_WORDS = """
a about above after all also am an and any are as at be been before being below
between both but by can could did do does doing done during each few for from had has
have having he her here hers him his how i if in into is it its itself just me more
most my no nor not now of off on once only or other our out over own same she should
so some such than that the their them then there these they this those through to too
under until up very was we were what when where which while who whom why will with
would you your yours tell show give find please explain describe list much many
"""
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"\w+(?:[.\-:/]\w+)*")  # "20.04", "e-mail", "v1.2.3" stay one word
_STEM = 5  # compare words by their first letters: "released" matches "release"


def _terms(text: str) -> set[str]:
    return {w[:_STEM] for w in _WORD.findall(text.lower()) if w not in _STOP}


def keyword_match(question: str, text: str) -> bool:
    """The passage holds at least half of the question's content words."""
    wanted = _terms(question)
    if not wanted:
        return False
    found = len(wanted & _terms(text))
    return found > 0 and found * 2 >= len(wanted)


@dataclass(frozen=True, slots=True)
class Gated:
    kept: list[Hit]  # in retrieval order
    left_out: list[Hit]  # weak on both signals


def gate(question: str, hits: Sequence[Hit], min_score: float) -> Gated:
    kept: list[Hit] = []
    left_out: list[Hit] = []
    for hit in hits:
        strong_vector = hit.vector_score is None or hit.vector_score >= min_score
        (kept if strong_vector or keyword_match(question, hit.text) else left_out).append(hit)
    return Gated(kept, left_out)
