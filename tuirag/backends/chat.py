"""The chat-backend contract: what answering needs from a model, whichever runs it.

Ollama (the default) and llama.cpp in-process (an extra) both implement `ChatModel`,
fail with `LlmError`, end each stream with `ChatStats`, and size their context window
with `window()`: so the CLI, the app and the answer service never depend on which
backend answers. `make_chat_model` is the one factory every caller uses.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tuirag.config import OllamaSettings, Settings

FALLBACK_CONTEXT = 4096  # when the model names no context length
# num_ctx is rounded up to one of these: a change of num_ctx makes Ollama reload the
# model (seconds), so questions of slightly different sizes must ask for the same one
CONTEXT_SIZES = (2048, 4096, 8192, 16384, 32768, 65536, 131072)


class LlmError(Exception):
    """The model could not answer. `kind` is one of Failed.kind's values."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class ChatStats:
    """The end of a chat stream: the backend's own counts and durations (None: unknown)."""

    prompt_eval_count: int | None
    eval_count: int | None
    eval_duration_ns: int | None
    load_duration_ns: int | None
    done_reason: str
    prompt_eval_duration_ns: int | None = None

    @property
    def tokens_per_s(self) -> float | None:
        """Decode speed."""
        return _rate(self.eval_count, self.eval_duration_ns)

    @property
    def prompt_tokens_per_s(self) -> float | None:
        """Prefill speed: how fast the prompt (mostly the sources) was read."""
        return _rate(self.prompt_eval_count, self.prompt_eval_duration_ns)


def _rate(count: int | None, duration_ns: int | None) -> float | None:
    if not count or not duration_ns:
        return None
    return count / (duration_ns / 1e9)


def window(wanted: int, model_context: int, settings: OllamaSettings) -> int:
    """The num_ctx to request: ollama.num_ctx if set, else `wanted` rounded up to one of
    CONTEXT_SIZES, capped by ollama.max_ctx and the model's own context length.

    `wanted` <= 0 asks for the largest window allowed. Always sent explicitly: Ollama's
    default has changed across versions and an overflowing prompt is cut from the front
    without an error (FAILURE-MODES 25).
    """
    if settings.num_ctx > 0:
        return settings.num_ctx
    cap = min(model_context, settings.max_ctx)
    if wanted <= 0:
        return cap
    rounded = next((size for size in CONTEXT_SIZES if size >= wanted), wanted)
    return min(rounded, cap)


class ChatModel(Protocol):
    """What answering needs from a chat backend; errors are `LlmError`s."""

    model: str
    host: str

    async def context_length(self, model: str | None = None) -> int: ...

    async def num_ctx(self) -> int:
        """The window every request of this model uses (see `window`)."""
        ...

    async def is_loaded(self) -> bool:
        """False when the next request must first load the model (seconds on a GPU)."""
        ...

    async def gpu_share(self) -> float | None:
        """The part of the loaded model in VRAM (0..1); None when unknown or not loaded."""
        ...

    async def warm_up(self) -> None:
        """Load the model now, with the answers' window, so the first question skips it."""
        ...

    def chat_stream(
        self, messages: list[dict[str, str]], num_ctx: int, num_predict: int | None = None
    ) -> AsyncGenerator[str | ChatStats, None]: ...

    async def complete(self, messages: list[dict[str, str]], num_predict: int) -> str: ...

    def dropped(self) -> LlmError: ...

    async def aclose(self) -> None: ...


def model_label(settings: Settings) -> str:
    """The answering model's name as the app shows it, without loading any backend."""
    if settings.answer.backend == "llamacpp":
        return Path(settings.answer.gguf_path).name
    return settings.ollama.model


def make_chat_model(settings: Settings, model: str | None = None) -> ChatModel:
    """The backend answer.backend names, sized for the answer budget; `model` overrides
    the configured one. `tuirag ask`, the app and the benches all build it here."""
    wanted = settings.answer.context_needed()
    if settings.answer.backend == "llamacpp":
        from tuirag.backends.llamacpp_llm import LlamaCppLLM

        return LlamaCppLLM(settings.ollama, model or settings.answer.gguf_path, wanted)
    from tuirag.backends.ollama_llm import OllamaLLM

    return OllamaLLM(settings.ollama, model, wanted)
