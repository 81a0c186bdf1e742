"""The chat model behind answers: Ollama's HTTP API through the official async client.

Everything the rest of tuirag needs from Ollama goes through `OllamaLLM`, and every
failure leaves it as an `LlmError` whose message is one line saying what to do.
Streams are async generators that close their HTTP response when the caller stops
early or is cancelled: breaking out of the client's stream loop alone would leave
Ollama generating (FAILURE-MODES 28), so callers use `contextlib.aclosing`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import httpx
import ollama

from tuirag.backends.chat import FALLBACK_CONTEXT, ChatStats, LlmError, window
from tuirag.backends.gpu import ModelShape, gpu_share, shape_from_info, vram_needed
from tuirag.config import OllamaSettings

_OOM_MARKERS = (
    "out of memory",
    "cudamalloc",
    "requires more system memory",
    "insufficient memory",
    "unable to allocate",
)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    size: int  # bytes on disk
    family: str
    parameter_size: str
    quantization: str
    modified: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoadedModel:
    name: str
    size: int  # bytes in memory
    size_vram: int  # of which on the GPU
    context_length: int | None  # the num_ctx it was loaded with
    expires_at: datetime | None

    @property
    def gpu_share(self) -> float:
        return gpu_share(self.size, self.size_vram)


@dataclass(frozen=True, slots=True)
class PullProgress:
    status: str
    completed: int | None = None
    total: int | None = None


class OllamaLLM:
    """One Ollama daemon and one chat model, with options from OllamaSettings."""

    def __init__(
        self, settings: OllamaSettings, model: str | None = None, wanted_ctx: int = 0
    ) -> None:
        """`wanted_ctx`: tokens an answer needs (AnswerSettings.context_needed); 0 asks
        for the largest window ollama.max_ctx allows."""
        self.settings = settings
        self.host = settings.resolved_host()
        self.model = model or settings.model
        self.wanted_ctx = wanted_ctx
        self._shapes: dict[str, ModelShape] = {}
        self._client: ollama.AsyncClient | None = None

    @property
    def keep_alive(self) -> str | float:
        return self.settings.keep_alive_value()

    @property
    def client(self) -> ollama.AsyncClient:
        # Built on first use so it binds to the event loop that uses it.
        if self._client is None:
            self._client = ollama.AsyncClient(host=self.host, timeout=self.settings.timeout_s)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # ---- context window ---------------------------------------------------

    async def shape(self, model: str | None = None) -> ModelShape:
        """Context length and KV-cache shape from /api/show (cached per model)."""
        name = model or self.model
        if name not in self._shapes:
            with self._errors(name):
                shown = await self.client.show(name)
            self._shapes[name] = shape_from_info(shown.modelinfo or {})
        return self._shapes[name]

    async def context_length(self, model: str | None = None) -> int:
        """The model's trained context length."""
        return (await self.shape(model)).context_length or FALLBACK_CONTEXT

    async def num_ctx(self, model: str | None = None) -> int:
        """The window every request asks for (see chat.window): the same for every
        question, so Ollama keeps the model loaded."""
        if self.settings.num_ctx > 0:
            return self.settings.num_ctx
        return window(self.wanted_ctx, await self.context_length(model), self.settings)

    async def loaded(self) -> LoadedModel | None:
        """This model as /api/ps shows it, or None when it is not loaded."""
        wanted = {self.model, f"{self.model}:latest"}
        return next((m for m in await self.running() if m.name in wanted), None)

    async def is_loaded(self) -> bool:
        """Loaded with the window answers use; anything else means a load first."""
        found = await self.loaded()
        return found is not None and found.context_length in (None, await self.num_ctx())

    async def gpu_share(self) -> float | None:
        found = await self.loaded()
        return None if found is None else found.gpu_share

    async def vram_estimate(self, name: str, file_size: int) -> tuple[int, int | None]:
        """The window answers would use with model `name`, and the VRAM that needs
        (weights + KV cache + runtime, estimated; None: /api/show gave no shape)."""
        num_ctx = await self.num_ctx(name)
        shape = await self.shape(name)
        return num_ctx, vram_needed(file_size, shape, num_ctx, self.settings.kv_cache())

    def options(
        self, num_ctx: int, num_predict: int | None = None, temperature: float | None = None
    ) -> dict[str, Any]:
        s = self.settings
        opts: dict[str, Any] = {
            "num_ctx": num_ctx,
            "temperature": s.temperature if temperature is None else temperature,
        }
        if num_predict:
            opts["num_predict"] = num_predict
        for key in ("num_gpu", "main_gpu"):
            if getattr(s, key) >= 0:
                opts[key] = getattr(s, key)
        if s.num_thread > 0:
            opts["num_thread"] = s.num_thread
        return opts

    # ---- chat -------------------------------------------------------------

    async def chat_stream(
        self, messages: list[dict[str, str]], num_ctx: int, num_predict: int | None = None
    ) -> AsyncGenerator[str | ChatStats, None]:
        """Yield answer text pieces, then one ChatStats. Close it to stop generation."""
        with self._errors(self.model, streaming=True):
            stream = await self.client.chat(
                model=self.model,
                messages=messages,
                stream=True,
                options=self.options(num_ctx, num_predict),
                keep_alive=self.keep_alive,
            )
            async with contextlib.aclosing(_closable(stream)):
                async for part in stream:
                    if part.message.content:
                        yield part.message.content
                    if part.done:
                        yield ChatStats(
                            prompt_eval_count=part.prompt_eval_count,
                            eval_count=part.eval_count,
                            eval_duration_ns=part.eval_duration,
                            load_duration_ns=part.load_duration,
                            done_reason=part.done_reason or "",
                            prompt_eval_duration_ns=part.prompt_eval_duration,
                        )

    async def complete(self, messages: list[dict[str, str]], num_predict: int) -> str:
        """A short non-streamed reply (query rewriting), deterministic.

        Sent with the same num_ctx and GPU options as answers: any change to those
        makes Ollama reload the model, which costs seconds.
        """
        num_ctx = await self.num_ctx()
        with self._errors(self.model):
            response = await self.client.chat(
                model=self.model,
                messages=messages,
                stream=False,
                options=self.options(num_ctx, num_predict, temperature=0.0),
                keep_alive=self.keep_alive,
            )
        return response.message.content or ""

    async def warm_up(self) -> None:
        """Load the model now and keep it (keep_alive), so the first question skips the load.

        Loaded with the answers' num_ctx and GPU options, or the first question would
        reload it.
        """
        options = self.options(await self.num_ctx())
        with self._errors(self.model):
            await self.client.chat(
                model=self.model,
                messages=[],
                stream=False,
                options=options,
                keep_alive=self.keep_alive,
            )

    # ---- model management ---------------------------------------------------

    async def version(self) -> str:
        """The daemon's version (/api/version: the client library has no call for it)."""
        with self._errors(self.model):
            async with httpx.AsyncClient(
                base_url=self.host, timeout=self.settings.timeout_s
            ) as http:
                response = await http.get("/api/version")
                response.raise_for_status()
        return str(response.json().get("version", "?"))

    async def list_models(self) -> list[ModelInfo]:
        with self._errors(self.model):
            listed = await self.client.list()
        models = []
        for m in listed.models:
            d = m.details
            models.append(
                ModelInfo(
                    name=m.model or "?",
                    size=int(m.size or 0),
                    family=(d.family if d else None) or "",
                    parameter_size=(d.parameter_size if d else None) or "",
                    quantization=(d.quantization_level if d else None) or "",
                    modified=m.modified_at,
                )
            )
        return models

    async def running(self) -> list[LoadedModel]:
        """Models loaded now, with their VRAM use (/api/ps)."""
        with self._errors(self.model):
            ps = await self.client.ps()
        return [
            LoadedModel(
                name=m.model or m.name or "?",
                size=int(m.size or 0),
                size_vram=int(m.size_vram or 0),
                context_length=m.context_length,
                expires_at=m.expires_at,
            )
            for m in ps.models
        ]

    async def has_model(self, name: str | None = None) -> bool:
        wanted = name or self.model
        names = {m.name for m in await self.list_models()}
        return wanted in names or (":" not in wanted and f"{wanted}:latest" in names)

    async def pull(self, name: str) -> AsyncGenerator[PullProgress, None]:
        with self._errors(name, streaming=True):
            stream = await self.client.pull(name, stream=True)
            async with contextlib.aclosing(_closable(stream)):
                async for part in stream:
                    yield PullProgress(part.status or "", part.completed, part.total)
        self._shapes.pop(name, None)

    # ---- errors ---------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, model: str, streaming: bool = False):
        try:
            yield
        except LlmError:
            raise
        except Exception as exc:
            mapped = self.map_error(exc, model, streaming)
            if mapped is None:
                raise
            raise mapped from exc

    def map_error(self, exc: BaseException, model: str, streaming: bool = False) -> LlmError | None:
        """Library and HTTP errors → one line saying what to do; None for programming errors."""
        host = self.host
        # ollama raises a bare ConnectionError when nothing listens; its subclasses
        # (a reset mid-stream) mean something else
        if type(exc) is ConnectionError or isinstance(exc, httpx.ConnectError):
            return LlmError(
                "no_ollama", f"Ollama is not running at {host}: start it with `ollama serve`"
            )
        if isinstance(exc, httpx.TimeoutException):
            return LlmError(
                "other",
                f"Ollama at {host} did not answer within {self.settings.timeout_s:.0f} s "
                "(the model may still be loading): try again or raise ollama.timeout_s",
            )
        if isinstance(exc, ollama.ResponseError):
            text = (
                str(exc.error).strip().splitlines()[0]
                if str(exc.error).strip()
                else "unknown error"
            )
            lowered = text.lower()
            if exc.status_code == 404 or ("not found" in lowered and "model" in lowered):
                return LlmError(
                    "model_missing",
                    f"model {model} is not pulled: run `ollama pull {model}` "
                    f"(or `tuirag models pull {model}`)",
                )
            if any(marker in lowered for marker in _OOM_MARKERS):
                return LlmError(
                    "gpu_oom",
                    f"Ollama ran out of memory loading {model} ({text}): pick a smaller model "
                    "or quantization, lower ollama.max_ctx, or set ollama.num_gpu to offload "
                    "fewer layers",
                )
            if streaming and exc.status_code == -1:  # an {"error": ...} line mid-stream
                return LlmError(
                    "dropped",
                    f"Ollama stopped mid-answer ({text}): check its log and ask again",
                )
            return LlmError("other", f"Ollama at {host} failed: {text}")
        if isinstance(exc, httpx.HTTPStatusError):
            return LlmError("other", f"Ollama at {host} answered HTTP {exc.response.status_code}")
        if isinstance(exc, httpx.TransportError | httpx.StreamError) or (
            streaming and isinstance(exc, ValueError)  # a torn NDJSON line
        ):
            return self.dropped()
        return None

    def dropped(self) -> LlmError:
        return LlmError(
            "dropped",
            f"the connection to Ollama at {self.host} dropped mid-answer: check that it is still "
            "running (`ollama ps`) and ask again",
        )


def _closable(stream: AsyncIterator[Any]) -> AsyncGenerator[Any, None]:
    """The client's streams are async generators; its types only promise iterators."""
    return cast("AsyncGenerator[Any, None]", stream)
