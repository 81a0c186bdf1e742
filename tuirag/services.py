"""The composition root shared by the CLI and the TUI: settings in, services out.

Everything is built lazily, so a command that only reads config never imports
LanceDB or loads a model.
"""

from __future__ import annotations

import contextlib
import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuirag.config import Settings
from tuirag.paths import resolved

if TYPE_CHECKING:
    from tuirag.backends.embedder import Embedder
    from tuirag.backends.store import Store
    from tuirag.ingest.background import BackgroundIndexer
    from tuirag.ingest.events import Listener
    from tuirag.ingest.ignore import IgnoreRules
    from tuirag.ingest.pipeline import Indexer
    from tuirag.plugins.registry import Registry
    from tuirag.search.retrieval import Retriever


_KEYS = "embedders.json"  # embedder settings -> index folder name, for model-free `status`


class Services:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        if embedder is not None:  # tests and the app share one loaded model
            self.__dict__["embedder"] = embedder

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @cached_property
    def embedder(self) -> Embedder:
        """The model, loaded when first asked to embed if these settings opened an index
        before (a re-ingest with nothing new never loads it), else loaded now."""
        from tuirag.backends.embedder import DeferredEmbedder, model_name

        if (known := self._index_meta()) is not None:
            folder, meta = known
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                e = self.settings
                model = model_name(e.embedder, e.ollama)
                load = self._reload_embedder
                return DeferredEmbedder(folder, int(meta["dim"]), e.embedder, model, load)
        return self._load_embedder()

    def _load_embedder(self) -> Embedder:
        from tuirag.backends.embedder import make_embedder

        return make_embedder(self.settings.embedder, self.settings.ollama, self.data_dir / "models")

    def _reload_embedder(self) -> Embedder:
        """The model of an index opened before; if its key changed (other files behind
        the same settings), the next run opens the new key's index."""
        embedder = self._load_embedder()
        self._remember_index(embedder)
        return embedder

    @property
    def model_index_folder(self) -> Path:
        """This embedder's index (one per model: vectors of two models never meet); loads
        the model, unlike index_folder()."""
        return self.data_dir / "index" / self.embedder.key

    @cached_property
    def store(self) -> Store:
        """The index; opened without loading the model when these embedder settings
        opened it before (`status`, `search --mode fts` never load it)."""
        from tuirag.backends.store import Store

        known = None if "embedder" in self.__dict__ else self._index_meta()
        if known is not None:
            folder, meta = known
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                return Store(folder, str(meta["embedder"]), int(meta["dim"]))
        embedder = self.embedder
        store = Store(self.model_index_folder, embedder.key, embedder.dim)
        self._remember_index(embedder)
        return store

    def index_folder(self) -> Path | None:
        """This embedder's index folder, known without loading the model (None until an
        index was opened with these embedder settings once)."""
        known = self._index_meta()
        return known[0] if known is not None else None

    def _index_meta(self) -> tuple[Path, dict[str, Any]] | None:
        """index_folder() and its meta.json, read once."""
        key = self._index_keys().get(self._embedder_fingerprint())
        if not key:
            return None
        folder = self.data_dir / "index" / key
        try:  # damaged (or gone): None, and opening the store says which, in one line
            meta = json.loads((folder / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        return (folder, meta) if isinstance(meta, dict) else None

    def _embedder_fingerprint(self) -> str:
        """The settings that decide the embedder's index key (model, prefixes, backend)."""
        e = self.settings.embedder
        model = self.settings.ollama.embed_model if e.backend == "ollama" else ""
        return "|".join([e.backend, e.model, e.model_path, e.query_prefix, e.passage_prefix, model])

    def _index_keys(self) -> dict[str, str]:
        try:
            found = json.loads((self.data_dir / "index" / _KEYS).read_text())
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def _remember_index(self, embedder: Embedder) -> None:
        """Note which index these settings use, and keep the model's tokenizer in it: a
        later run then knows key, size and tokenizer without loading the model."""
        from tuirag.backends.embedder import save_tokenizer

        save_tokenizer(embedder, self.data_dir / "index" / embedder.key)
        keys = self._index_keys()
        fingerprint = self._embedder_fingerprint()
        if keys.get(fingerprint) == embedder.key:
            return
        keys[fingerprint] = embedder.key
        path = self.data_dir / "index" / _KEYS
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(keys, indent=1))
            tmp.replace(path)
        except OSError:
            pass  # only a shortcut for `status`; it falls back to loading the model

    @cached_property
    def registry(self) -> Registry:
        from tuirag.plugins.registry import load_registry

        return load_registry(self.settings.plugins)

    def rules(self, extra_roots: list[Path] | None = None) -> IgnoreRules:
        from tuirag.ingest.ignore import IgnoreRules

        idx = self.settings.index
        return IgnoreRules(
            roots=[*self.roots(), *(extra_roots or [])],
            extra=idx.ignore,
            secrets=idx.secret_patterns,
            respect_gitignore=idx.respect_gitignore,
        )

    def roots(self) -> list[Path]:
        # resolved once (macOS /var is /private/var): ingest, watcher and rules then agree
        return [resolved(f) for f in self.settings.index.folders]

    def indexer(self, extra_roots: list[Path] | None = None) -> Indexer:
        from tuirag.ingest.chunker import Chunker
        from tuirag.ingest.parse import IsolatedParser
        from tuirag.ingest.pipeline import Indexer

        embedder = self.embedder
        chunking = self.settings.chunking
        chunker = Chunker(
            embedder.tokenizer,
            min(chunking.max_tokens, embedder.max_tokens),
            chunking.overlap_tokens,
        )
        return Indexer(
            store=self.store,
            embedder=embedder,
            registry=self.registry,
            chunker=chunker,
            rules=self.rules(extra_roots),
            max_file_bytes=int(self.settings.index.max_file_mb * 2**20),
            follow_symlinks=self.settings.index.follow_symlinks,
            parse=IsolatedParser(self.settings.parsing.timeout_s, self.settings.parsing.memory_mb),
        )

    def background_indexer(
        self, folders: list[Path], listener: Listener | None = None, **options: Any
    ) -> BackgroundIndexer:
        """The watch-and-index thread over `folders`, built from these services."""
        from tuirag.ingest.background import BackgroundIndexer

        return BackgroundIndexer(
            self.store,
            self.settings.watch,
            lambda roots: self.indexer(extra_roots=roots),
            self.rules,
            folders,
            listener,
            **options,
        )

    @cached_property
    def retriever(self) -> Retriever:
        from tuirag.search.retrieval import Retriever

        search = self.settings.search
        return Retriever(
            self.store, lambda: self.embedder, search.rrf_k, search.bm25_weight, search.fusion
        )
