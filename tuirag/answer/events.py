"""What an answer in progress tells its caller (the CLI prints them, the TUI renders them).

`Answerer.ask()` yields these in order: one `Retrieved`, any number of `Token`s,
then exactly one `Finished` or `Failed`. With no Ollama, `Retrieved` still comes,
so the user gets the passages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tuirag.types import Hit


@dataclass(frozen=True, slots=True)
class Retrieved:
    sources: list[Hit]  # numbered [1]..[n] in this order in the prompt
    dropped: list[Hit] = field(default_factory=list)  # cut to fit the context window
    query: str = ""  # the stand-alone query used for retrieval (after rewriting)
    relevant: bool = True  # False: no passage is related (see answer/gate.py)
    retrieval_ms: float = 0.0
    left_out: list[Hit] = field(default_factory=list)  # retrieved, but unrelated by both signals


@dataclass(frozen=True, slots=True)
class Token:
    text: str


@dataclass(frozen=True, slots=True)
class Timings:
    retrieval_ms: float = 0.0
    prompt_ms: float = 0.0
    first_token_ms: float | None = None  # from sending the request
    tokens_per_s: float | None = None  # from Ollama's eval_count / eval_duration
    prompt_tokens: int | None = None
    answer_tokens: int | None = None

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "retrieval_ms": round(self.retrieval_ms, 2),
            "prompt_ms": round(self.prompt_ms, 2),
            "first_token_ms": (
                None if self.first_token_ms is None else round(self.first_token_ms, 2)
            ),
            "tokens_per_s": None if self.tokens_per_s is None else round(self.tokens_per_s, 2),
            "prompt_tokens": self.prompt_tokens,
            "answer_tokens": self.answer_tokens,
        }


@dataclass(frozen=True, slots=True)
class Finished:
    answer: str
    timings: Timings
    cached: bool = False
    warnings: list[str] = field(default_factory=list)  # e.g. prompt longer than num_ctx


@dataclass(frozen=True, slots=True)
class Failed:
    kind: str  # "no_ollama" | "model_missing" | "gpu_oom" | "dropped" | "other"
    message: str  # one line saying what to do
    partial: str = ""  # text streamed before the failure


AnswerEvent = Retrieved | Token | Finished | Failed
