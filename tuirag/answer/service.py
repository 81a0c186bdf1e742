"""Question in, AnswerEvents out: rewrite → cache → retrieve → budget → stream.

    answerer = Answerer(services)
    async with contextlib.aclosing(answerer.ask(question, history)) as events:
        async for event in events: ...

Closing the generator (or cancelling the task that iterates it) closes the HTTP
response, so Ollama stops generating. Blocking work (embedding, LanceDB, SQLite)
runs in threads, never on the event loop.

Passages weak on both signals (cosine below answer.min_score and few of the
question's words, see gate.py) are left out. When none is left, the answer says
why (no_match.py: an empty index, one still being built, a folder not indexed, or
a real no-match) and the model is not called at all: a model told "say you don't
know" still invents now and then, and the closest passages are shown anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from tuirag.answer import budget, prompt, rewrite
from tuirag.answer.cache import AnswerCache, CachedAnswer, cache_text, scope_key
from tuirag.answer.events import (
    AnswerEvent,
    Failed,
    Finished,
    Loading,
    Retrieved,
    Timings,
    Token,
)
from tuirag.answer.gate import gate
from tuirag.backends.chat import ChatModel, ChatStats, LlmError, make_chat_model
from tuirag.backends.gpu import offload_warning
from tuirag.config import ConfigError
from tuirag.errors import UserError
from tuirag.search.filters import SearchFilter, split_prefix
from tuirag.search.no_match import IndexState, index_state, no_match_message
from tuirag.services import Services
from tuirag.sessions import Turn
from tuirag.types import Hit

T = TypeVar("T")


@dataclass
class _Found:
    hits: list[Hit]
    vector: np.ndarray | None  # the query's embedding for the cache (None: cache off)
    cached: CachedAnswer | None
    warning: str
    millis: float


def still_best(cached: Sequence[Hit], current: Sequence[Hit]) -> bool:
    """A cached answer holds while retrieval would still pick the same passages first.

    Files added or changed since (a better passage now ranks above one the answer
    cited) make it stale even though none of its cited files changed.
    """
    ids = {h.chunk_id for h in cached}
    return {h.chunk_id for h in current[: len(ids)]} == ids


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def _ns_to_ms(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e6


class Answerer:
    def __init__(
        self,
        services: Services,
        llm: ChatModel | None = None,
        state: Callable[[], IndexState] | None = None,
    ) -> None:
        """`state` says what the index is doing (the app knows its own indexing progress);
        by default it is read from the store and the configured folders."""
        self.services = services
        self.state = state or (lambda: index_state(services.store, services.roots()))
        self.settings = services.settings.answer
        problem = prompt.check_template(self.settings.user_template)
        if problem:
            raise ConfigError(problem)
        self.llm = llm or make_chat_model(services.settings)
        self._counter: budget.TokenCounter | None = None
        self._cache: AnswerCache | None = None

    @property
    def counter(self) -> budget.TokenCounter:
        if self._counter is None:
            self._counter = budget.TokenCounter()
        return self._counter

    def cache(self) -> AnswerCache | None:
        """The answer cache, or None when answer.cache is off (built in a worker thread)."""
        if not self.settings.cache:
            return None
        if self._cache is None:
            svc = self.services
            scope = scope_key(
                svc.embedder.key,
                self.llm.model,
                self.settings.system_prompt,
                self.settings.user_template,
            )
            self._cache = AnswerCache(
                svc.data_dir / "answers.sqlite", svc.store, scope, self.settings.cache_similarity
            )
        return self._cache

    @staticmethod
    async def _ask_quietly(question: Awaitable[T], otherwise: T) -> T:
        """A side question to the backend (is it loaded? on the GPU?) that must never
        fail the answer: when it cannot be answered, the chat itself says why."""
        try:
            return await question
        except LlmError:
            return otherwise

    def _retrieve(
        self, query: str, use_cache: bool = True, where: SearchFilter | None = None
    ) -> _Found:
        started = time.perf_counter()
        svc = self.services
        # the cache is keyed by the question alone: a filtered answer neither reads nor
        # writes it (no vector: put is skipped), so its query is not embedded for it
        cache = None if where else self.cache()
        vector = svc.embedder.embed_query(cache_text(query)) if cache else None
        cached = cache.lookup(vector) if use_cache and cache and vector is not None else None
        svc.store.refresh()
        result = svc.retriever.search(query, self.settings.top_k, svc.settings.search.mode, where)
        if cached and still_best(cached.sources, result.hits):
            return _Found(cached.sources, vector, cached, "", _ms(started))
        return _Found(result.hits, vector, None, result.warning, _ms(started))

    async def fit(self, question: str, hits: Sequence[Hit], turns: Sequence[Turn]) -> budget.Fitted:
        """The messages this question sends: sources and history within the answer budget,
        in the window every request of this model uses. The benches replay it as is."""
        s = self.settings
        return budget.fit(
            question,
            hits,
            turns,
            self.counter,
            await self.llm.num_ctx(),
            s.max_answer_tokens,
            s.system_prompt,
            s.user_template,
            source_tokens=s.source_tokens,
            history_tokens=s.history_tokens,
        )

    async def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        use_cache: bool = True,
        where: SearchFilter | None = None,
    ) -> AsyncGenerator[AnswerEvent, None]:
        """`use_cache=False` answers afresh (the app's regenerate); the new answer is cached.

        `kind:`/`path:` words leading the question narrow the search like `where`
        (tuirag/search/filters.py); a filtered answer is neither read from nor
        written to the cache, which is keyed by the question alone.
        """
        s = self.settings
        try:
            typed, question = split_prefix(question)
        except UserError as exc:
            yield Failed("other", str(exc))
            return
        where = (where or SearchFilter()).merged(typed)
        turns = list(history)[-s.history_turns :] if s.history_turns > 0 else []
        loading_said = False
        if turns and s.rewrite and not await self._ask_quietly(self.llm.is_loaded(), True):
            # the follow-up's rewrite is the model's first call: it waits for the load
            yield Loading(self.llm.model, await self._ask_quietly(self.llm.num_ctx(), 0))
            loading_said = True
        query, _ = await rewrite.standalone_query(question, turns, self.llm if s.rewrite else None)
        found = await asyncio.to_thread(self._retrieve, query, use_cache, where)

        if found.cached is not None:
            cached = found.cached
            yield Retrieved(cached.sources, query=query, retrieval_ms=found.millis)
            yield Token(cached.answer)
            yield Finished(cached.answer, Timings(retrieval_ms=found.millis), cached=True)
            return

        gated = gate(query, found.hits, s.min_score)
        relevant = gated.kept
        if not relevant:
            state = await asyncio.to_thread(self.state)
            best = max((h.vector_score or 0.0 for h in found.hits), default=None)
            yield Retrieved(found.hits, query=query, relevant=False, retrieval_ms=found.millis)
            yield Finished(
                no_match_message(state, best, s.min_score, where),
                Timings(retrieval_ms=found.millis),
                warnings=[found.warning] if found.warning else [],
            )
            return

        started = time.perf_counter()
        try:
            fitted = await self.fit(question, relevant, turns)
        except LlmError as exc:
            yield Retrieved(
                relevant, query=query, retrieval_ms=found.millis, left_out=gated.left_out
            )
            yield Failed(exc.kind, exc.message)
            return
        num_ctx = fitted.num_ctx
        prompt_ms = _ms(started)
        yield Retrieved(
            fitted.sources, fitted.dropped, query, True, found.millis, left_out=gated.left_out
        )
        if not fitted.sources:
            yield Failed(
                "other",
                f"no passage fits in a {num_ctx}-token context window beside the question: "
                "raise ollama.num_ctx (or ollama.max_ctx)",
            )
            return

        parts: list[str] = []
        stats: ChatStats | None = None
        first_token_ms: float | None = None
        if not loading_said and not await self._ask_quietly(self.llm.is_loaded(), True):
            yield Loading(self.llm.model, num_ctx)
        sent = time.perf_counter()
        try:
            stream = self.llm.chat_stream(fitted.messages, num_ctx, s.max_answer_tokens)
            async with contextlib.aclosing(stream):
                async for piece in stream:
                    if isinstance(piece, ChatStats):
                        stats = piece
                        continue
                    if first_token_ms is None:
                        first_token_ms = _ms(sent)
                    parts.append(piece)
                    yield Token(piece)
        except LlmError as exc:
            yield Failed(exc.kind, exc.message, "".join(parts))
            return
        answer = "".join(parts)
        if stats is None:  # the stream ended without Ollama's closing line
            yield Failed("dropped", self.llm.dropped().message, answer)
            return

        warnings = [found.warning] if found.warning else []
        warnings += budget.truncation_warnings(fitted, stats.prompt_eval_count)
        warnings += [
            f"source [{n}] ({hit.path}) reads like instructions to the model; "
            "it was passed as data only"
            for n, hit in enumerate(fitted.sources, 1)
            if prompt.instruction_like(hit.text)
        ]
        share = await self._ask_quietly(self.llm.gpu_share(), None)
        if share is not None and (offloaded := offload_warning(self.llm.model, share)):
            warnings.append(offloaded)
        timings = Timings(
            retrieval_ms=found.millis,
            prompt_ms=prompt_ms,
            first_token_ms=first_token_ms,
            tokens_per_s=stats.tokens_per_s,
            prompt_tokens=stats.prompt_eval_count,
            answer_tokens=stats.eval_count,
            load_ms=_ns_to_ms(stats.load_duration_ns),
            prompt_eval_ms=_ns_to_ms(stats.prompt_eval_duration_ns),
            prompt_tokens_per_s=stats.prompt_tokens_per_s,
            eval_ms=_ns_to_ms(stats.eval_duration_ns),
            num_ctx=num_ctx,
            gpu_share=share,
        )
        cache = self._cache if s.cache else None
        if cache is not None and found.vector is not None and answer.strip():
            await asyncio.to_thread(cache.put, query, found.vector, answer, fitted.sources)
        yield Finished(answer, timings, warnings=warnings)
