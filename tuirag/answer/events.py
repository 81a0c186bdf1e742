"""What an answer in progress tells its caller (the CLI prints them, the TUI renders them).

`Answerer.ask()` yields these in order: one `Retrieved`, a `Loading` when the model
must be loaded first (seconds: say so rather than look hung), any number of `Token`s,
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
class Loading:
    """The model is not loaded (or loaded with another window): the answer waits for it."""

    model: str
    num_ctx: int


@dataclass(frozen=True, slots=True)
class Timings:
    """What the user waited for. Durations after `first_token_ms` are the backend's own
    (Ollama's load_duration, prompt_eval_duration, eval_duration); None: not reported."""

    retrieval_ms: float = 0.0
    prompt_ms: float = 0.0
    first_token_ms: float | None = None  # from sending the request
    tokens_per_s: float | None = None  # decode: eval_count / eval_duration
    prompt_tokens: int | None = None  # Ollama's prompt_eval_count
    answer_tokens: int | None = None  # eval_count
    load_ms: float | None = None  # loading the model first (0: it was loaded)
    prompt_eval_ms: float | None = None  # prefill: reading the prompt
    prompt_tokens_per_s: float | None = None
    eval_ms: float | None = None  # decode: writing the answer
    num_ctx: int | None = None  # the context window asked for
    gpu_share: float | None = None  # part of the model in VRAM after the answer (/api/ps)

    def to_json(self) -> dict[str, float | int | None]:
        return {name: _rounded(getattr(self, name)) for name in self.__slots__}


def _rounded(value: float | int | None) -> float | int | None:
    return round(value, 2) if isinstance(value, float) else value


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


AnswerEvent = Retrieved | Loading | Token | Finished | Failed
