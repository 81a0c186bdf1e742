"""Which chat model answers: Ollama (the default) or llama.cpp in-process (an extra)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tuirag.backends.ollama_llm import ChatStats, LlmError
    from tuirag.config import Settings


class ChatModel(Protocol):
    """What answering needs from a chat backend; errors are `LlmError`s."""

    model: str
    host: str

    async def context_length(self, model: str | None = None) -> int: ...

    async def num_ctx(self) -> int: ...

    async def warm_up(self) -> None: ...

    def chat_stream(
        self, messages: list[dict[str, str]], num_ctx: int, num_predict: int | None = None
    ) -> AsyncGenerator[str | ChatStats, None]: ...

    async def complete(self, messages: list[dict[str, str]], num_predict: int) -> str: ...

    def dropped(self) -> LlmError: ...

    async def aclose(self) -> None: ...


def make_chat_model(settings: Settings, model: str | None = None) -> ChatModel:
    """The backend answer.backend names; `model` overrides the configured one."""
    if settings.answer.backend == "llamacpp":
        from tuirag.backends.llamacpp_llm import LlamaCppLLM

        return LlamaCppLLM(settings.ollama, model or settings.answer.gguf_path)
    from tuirag.backends.ollama_llm import OllamaLLM

    return OllamaLLM(settings.ollama, model)
