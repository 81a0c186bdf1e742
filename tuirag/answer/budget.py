"""Fit system prompt, history, sources and question into the model's context window.

Ollama cuts an overflowing prompt from the front, silently, with HTTP 200: the
system prompt and the best sources go first (FAILURE-MODES 25). So we count
tokens ourselves, drop the weakest sources (the tail of the ranking) until the
prompt fits, and afterwards compare Ollama's prompt_eval_count with our estimate.

The chat model's tokenizer is not available offline, so counts come from the
bundled WordPiece tokenizer with a safety margin; the post-hoc check catches
the cases where that estimate is off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tokenizers import Tokenizer

from tuirag.answer import prompt
from tuirag.sessions import Turn
from tuirag.types import Hit

MESSAGE_OVERHEAD = 8  # role markers and separators a chat template adds per message
SAFETY = 1.15  # WordPiece counts run lower than byte-level BPE on code and non-English text


class TokenCounter:
    def __init__(self, tokenizer: Tokenizer | None = None) -> None:
        if tokenizer is None:
            from tuirag.backends.embedder import bundled_tokenizer

            tokenizer = bundled_tokenizer()
        self._tokenizer = tokenizer

    def count(self, text: str) -> int:
        ids = self._tokenizer.encode(text, add_special_tokens=False).ids
        return math.ceil(max(len(ids), len(text) / 4) * SAFETY)

    def messages(self, messages: Sequence[dict[str, str]]) -> int:
        return sum(self.count(m["content"]) + MESSAGE_OVERHEAD for m in messages)


@dataclass(frozen=True, slots=True)
class Fitted:
    messages: list[dict[str, str]]
    sources: list[Hit]  # kept, in citation order
    dropped: list[Hit]  # cut to fit, weakest last
    history: list[Turn]  # the turns that fit
    estimate: int  # our token count for the prompt
    num_ctx: int
    reserve: int  # tokens left for the answer


def answer_reserve(num_ctx: int, max_answer_tokens: int) -> int:
    """Tokens kept free for the answer: the configured maximum, at most a quarter of the window."""
    return max(64, min(max_answer_tokens, num_ctx // 4))


def base_cost(question: str, counter: TokenCounter, system_prompt: str, user_template: str) -> int:
    """Tokens of the prompt without sources or history: system prompt, template, question."""
    return counter.messages(prompt.build_messages(question, [], [], system_prompt, user_template))


def fit(
    question: str,
    hits: Sequence[Hit],
    history: Sequence[Turn],
    counter: TokenCounter,
    num_ctx: int,
    max_answer_tokens: int,
    system_prompt: str = "",
    user_template: str = "",
    source_tokens: int = 0,
    history_tokens: int = -1,
) -> Fitted:
    """Keep the longest prefix of `hits` (best first) that fits beside the question.

    Sources take at most `source_tokens` (0: no cap but the window). History gets at
    most `history_tokens` (-1: no cap) and half of what is left after the question,
    newest turns first; if no source fits at all, history is given up before the sources.
    """
    reserve = answer_reserve(num_ctx, max_answer_tokens)
    room = num_ctx - reserve
    base = base_cost(question, counter, system_prompt, user_template)
    history_room = (room - base) / 2
    if history_tokens >= 0:
        history_room = min(history_room, history_tokens)

    def build(sources: Sequence[Hit], turns: Sequence[Turn]) -> list[dict[str, str]]:
        return prompt.build_messages(question, sources, turns, system_prompt, user_template)

    turns: list[Turn] = []
    used = 0
    for turn in reversed(history):
        cost = counter.count(turn.question) + counter.count(turn.answer) + 2 * MESSAGE_OVERHEAD
        if used + cost > history_room:
            break
        turns.insert(0, turn)
        used += cost

    def kept_with(turns: Sequence[Turn]) -> tuple[list[Hit], int]:
        total = base + sum(
            counter.count(t.question) + counter.count(t.answer) + 2 * MESSAGE_OVERHEAD
            for t in turns
        )
        kept: list[Hit] = []
        spent = 0
        for n, hit in enumerate(hits, 1):
            cost = counter.count(prompt.format_source(n, hit)) + 2  # the blank line between sources
            if total + cost > room or (source_tokens > 0 and spent + cost > source_tokens):
                break
            kept.append(hit)
            total += cost
            spent += cost
        return kept, total

    kept, _ = kept_with(turns)
    if hits and not kept and turns:
        turns = []
        kept, _ = kept_with(turns)
    messages = build(kept, turns)
    return Fitted(
        messages=messages,
        sources=kept,
        dropped=list(hits[len(kept) :]),
        history=turns,
        estimate=counter.messages(messages),
        num_ctx=num_ctx,
        reserve=reserve,
    )


def truncation_warnings(fitted: Fitted, prompt_eval_count: int | None) -> list[str]:
    """What Ollama's own count says about our estimate (FAILURE-MODES 25)."""
    warnings = []
    if fitted.estimate > fitted.num_ctx - fitted.reserve:
        warnings.append(
            f"the prompt (~{fitted.estimate} tokens) does not fit num_ctx {fitted.num_ctx} even "
            "without sources: shorten the question or raise ollama.max_ctx"
        )
    if prompt_eval_count is None:
        return warnings
    if prompt_eval_count >= fitted.num_ctx:
        warnings.append(
            f"Ollama evaluated {prompt_eval_count} prompt tokens, the whole num_ctx of "
            f"{fitted.num_ctx}: it probably cut the start of the prompt. Lower answer.top_k "
            "or raise ollama.max_ctx"
        )
    elif prompt_eval_count > fitted.estimate:
        warnings.append(
            f"the prompt was {prompt_eval_count} tokens, more than the {fitted.estimate} "
            "estimated: the budget is too tight for this model's tokenizer"
        )
    return warnings
