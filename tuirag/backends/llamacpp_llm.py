"""The chat model in-process through llama-cpp-python, for machines without Ollama.

An optional extra (`pip install 'tuirag[llamacpp]'`; build it with CUDA for a GPU).
It speaks the same interface as `OllamaLLM` where answering needs it, reads
num_ctx, max_ctx, num_gpu, num_thread and temperature from [ollama], and runs
generation in a thread that stops between tokens once the stream is closed.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import threading
import time
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from tuirag.backends.chat import FALLBACK_CONTEXT, ChatStats, LlmError, window
from tuirag.config import OllamaSettings

_END = object()


class LlamaCppLLM:
    """One GGUF file loaded in this process; one generation at a time."""

    def __init__(self, settings: OllamaSettings, gguf_path: str, wanted_ctx: int = 0) -> None:
        self.settings = settings
        self.wanted_ctx = wanted_ctx  # as OllamaLLM: tokens an answer needs
        self.path = Path(gguf_path).expanduser()
        self.model = self.path.name
        self.host = "in-process llama.cpp"
        self._llama: Any = None
        self._n_ctx = 0
        self._context: int | None = None
        self._lock = threading.Lock()  # llama.cpp contexts are not thread-safe

    def _llama_cpp(self) -> Any:
        if not self.path.is_file():
            raise LlmError(
                "model_missing",
                f"answer.gguf_path {self.path} is not a file: download a GGUF chat model "
                "and point answer.gguf_path at it",
            )
        try:
            import llama_cpp
        except ImportError:
            raise LlmError(
                "other",
                "answer.backend = 'llamacpp' needs llama-cpp-python: "
                "pip install 'tuirag[llamacpp]'",
            ) from None
        # llama.cpp's loader logs every GGUF key to stderr until told otherwise
        logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
        return llama_cpp

    def _load(self, n_ctx: int) -> Any:
        """The model with an n_ctx window (reloaded only when that changes)."""
        if self._llama is None or self._n_ctx != n_ctx:
            llama_cpp = self._llama_cpp()
            s = self.settings
            self._llama = llama_cpp.Llama(
                str(self.path),
                n_ctx=n_ctx,
                n_threads=s.num_thread if s.num_thread > 0 else min(os.cpu_count() or 1, 8),
                n_gpu_layers=s.num_gpu,  # -1: every layer, when the build has a GPU
                main_gpu=max(s.main_gpu, 0),
                verbose=False,
            )
            self._n_ctx = n_ctx
        return self._llama

    # ---- the interface answering uses --------------------------------------

    async def context_length(self, model: str | None = None) -> int:
        """The trained context length from the GGUF metadata (read without the weights)."""
        if self._context is None:
            self._context = await asyncio.to_thread(self._read_context)
        return self._context

    def _read_context(self) -> int:
        # The low-level API: Llama(vocab_only=True) would build a context and log a
        # warning on stderr about it.
        llama_cpp = self._llama_cpp()
        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        model = llama_cpp.llama_model_load_from_file(str(self.path).encode(), params)
        if not model:
            raise LlmError("other", f"llama.cpp cannot read {self.path}: is it a GGUF file?")
        try:
            buf = ctypes.create_string_buffer(256)

            def meta(key: str) -> str:
                found = llama_cpp.llama_model_meta_val_str(model, key.encode(), buf, len(buf))
                return buf.value.decode() if found >= 0 else ""

            value = meta(f"{meta('general.architecture')}.context_length")
        finally:
            llama_cpp.llama_model_free(model)
        return int(value) if value.isdigit() else FALLBACK_CONTEXT

    async def num_ctx(self) -> int:
        if self.settings.num_ctx > 0:
            return self.settings.num_ctx
        return window(self.wanted_ctx, await self.context_length(), self.settings)

    async def is_loaded(self) -> bool:
        return self._llama is not None and self._n_ctx == await self.num_ctx()

    async def gpu_share(self) -> float | None:
        """llama.cpp does not report where its layers went."""
        return None

    async def warm_up(self) -> None:
        num_ctx = await self.num_ctx()
        await asyncio.to_thread(self._locked_load, num_ctx)

    def _locked_load(self, num_ctx: int) -> None:
        with self._lock:
            self._load(num_ctx)

    async def chat_stream(
        self,
        messages: list[dict[str, str]],
        num_ctx: int,
        num_predict: int | None = None,
        temperature: float | None = None,
    ) -> AsyncGenerator[str | ChatStats, None]:
        """Yield answer pieces, then ChatStats. Closing it stops generation at the next token."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def put(item: object) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the event loop is gone: nobody is listening
                stop.set()

        def generate() -> None:
            try:
                with self._lock:
                    started = time.perf_counter_ns()
                    loading = self._llama is None or self._n_ctx != num_ctx
                    llama = self._load(num_ctx)
                    loaded = time.perf_counter_ns()
                    chunks = llama.create_chat_completion(
                        messages=messages,
                        stream=True,
                        max_tokens=num_predict or None,
                        temperature=self.settings.temperature
                        if temperature is None
                        else temperature,
                    )
                    count, first = 0, 0
                    for chunk in chunks:
                        if stop.is_set():
                            return
                        piece = chunk["choices"][0]["delta"].get("content")
                        if piece:
                            first = first or time.perf_counter_ns()
                            count += 1
                            put(piece)
                    put(
                        ChatStats(
                            prompt_eval_count=max(llama.n_tokens - count, 0),
                            eval_count=count,
                            eval_duration_ns=(time.perf_counter_ns() - first) if first else None,
                            load_duration_ns=loaded - started if loading else 0,
                            done_reason="stop",
                            prompt_eval_duration_ns=(first - loaded) if first else None,
                        )
                    )
            except LlmError as exc:
                put(exc)
            except ValueError as exc:  # llama.cpp: the prompt exceeds the window
                put(LlmError("other", f"llama.cpp refused the prompt: {exc}"))
            finally:
                put(_END)

        worker = threading.Thread(target=generate, name="llamacpp-generate", daemon=True)
        worker.start()
        try:
            while (item := await queue.get()) is not _END:
                if isinstance(item, LlmError):
                    raise item
                assert isinstance(item, str | ChatStats)
                yield item
        finally:
            stop.set()

    async def complete(self, messages: list[dict[str, str]], num_predict: int) -> str:
        parts = []
        async for piece in self.chat_stream(messages, await self.num_ctx(), num_predict, 0.0):
            if isinstance(piece, str):
                parts.append(piece)
        return "".join(parts)

    def dropped(self) -> LlmError:
        return LlmError("dropped", "llama.cpp stopped mid-answer: ask again")

    async def aclose(self) -> None:
        """Nothing to close per call: the model stays loaded for the next question."""
