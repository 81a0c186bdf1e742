"""Turn a follow-up ("and its price?") into a query that retrieves on its own.

The model rewrites it with a short prompt when it is reachable; otherwise, or
when its reply does not look like a query, the follow-up is joined to the
previous question, which is enough for hybrid search to find the same topic.
"""

from __future__ import annotations

from collections.abc import Sequence

from tuirag.backends.chat import ChatModel, LlmError
from tuirag.sessions import Turn

REWRITE_PROMPT = """\
Rewrite the user's last question as one stand-alone search query, resolving words like \
"it", "its", "that" and "they" from the conversation. Reply with the query only, on one \
line, no quotes, no explanation."""

REWRITE_TOKENS = 64
_ANSWER_EXCERPT = 300  # characters of each earlier answer the rewriter sees


def fallback(question: str, history: Sequence[Turn]) -> str:
    """Deterministic stand-alone query: the previous question, then this one."""
    if not history:
        return question
    return f"{history[-1].question.strip()} {question.strip()}"


def _messages(question: str, history: Sequence[Turn]) -> list[dict[str, str]]:
    lines = []
    for turn in history:
        lines.append(f"User: {turn.question.strip()}")
        lines.append(f"Assistant: {turn.answer.strip()[:_ANSWER_EXCERPT]}")
    lines.append(f"User (last question): {question.strip()}")
    return [
        {"role": "system", "content": REWRITE_PROMPT},
        {"role": "user", "content": "\n".join(lines)},
    ]


def _usable(reply: str, question: str) -> str:
    """The model's query, or '' when it is empty, rambling or multi-line."""
    line = reply.strip().strip("\"'`").strip()
    if not line or "\n" in line or len(line) > max(200, 4 * len(question)):
        return ""
    return line


async def standalone_query(
    question: str, history: Sequence[Turn], llm: ChatModel | None
) -> tuple[str, bool]:
    """(query, rewritten by the model). No history: the question itself."""
    if not history:
        return question, False
    if llm is not None:
        try:
            reply = await llm.complete(_messages(question, history[-3:]), REWRITE_TOKENS)
        except LlmError:
            reply = ""
        query = _usable(reply, question)
        if query:
            return query, True
    return fallback(question, history), False
