"""Settings: typed dataclasses read from TOML, with errors that name the key and file."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuirag import keys, paths

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"
PROMPT_TOKENS = 300  # the built-in system prompt and question template, with margin
QUESTION_TOKENS = 200  # a long question; a longer one takes room from the sources


class ConfigError(Exception):
    """A problem in the user's config that they can fix; the message says how."""


@dataclass
class IndexSettings:
    folders: list[str] = field(default_factory=list)
    data_dir: str = ""
    ignore: list[str] = field(default_factory=list)
    secret_patterns: list[str] = field(default_factory=list)
    respect_gitignore: bool = True
    follow_symlinks: bool = False
    max_file_mb: float = 50.0


@dataclass
class EmbedderSettings:
    backend: str = "fastembed"  # fastembed | ollama
    model: str = "all-MiniLM-L6-v2-int8"
    model_path: str = ""
    device: str = "cpu"  # cpu | cuda (needs onnxruntime-gpu)
    threads: int = 0
    batch_size: int = 4  # x max tokens = the token budget of a batch (peak memory)
    query_prefix: str = ""
    passage_prefix: str = ""


@dataclass
class ChunkingSettings:
    max_tokens: int = 512
    overlap_tokens: int = 50


@dataclass
class SearchSettings:
    mode: str = "hybrid"  # hybrid | vector | fts
    top_k: int = 5
    rrf_k: int = 20
    bm25_weight: float = 1.5
    fusion: str = "rrf"  # rrf | relative (score-aware)


@dataclass
class OllamaSettings:
    host: str = ""
    model: str = "qwen2.5:7b-instruct-q4_K_M"
    embed_model: str = "nomic-embed-text"
    embed_batch_size: int = 32  # texts per /api/embed request (embedder.backend = "ollama")
    keep_alive: str = "30m"
    num_ctx: int = 0
    max_ctx: int = 16384
    num_gpu: int = -1
    main_gpu: int = -1
    num_thread: int = 0
    temperature: float = 0.2
    timeout_s: float = 120.0
    kv_cache_type: str = ""  # "" = $OLLAMA_KV_CACHE_TYPE or f16; only sizes VRAM estimates

    def kv_cache(self) -> str:
        """The KV cache type Ollama runs with, as far as tuirag can know it."""
        return self.kv_cache_type or os.environ.get("OLLAMA_KV_CACHE_TYPE", "") or "f16"

    def keep_alive_value(self) -> str | float:
        """keep_alive as Ollama parses it: "30m" stays a duration, but a bare number
        such as "-1" (keep forever) must be sent as a number, not a string."""
        try:
            return float(self.keep_alive)
        except ValueError:
            return self.keep_alive

    def resolved_host(self) -> str:
        host = self.host or os.environ.get("OLLAMA_HOST", "") or DEFAULT_OLLAMA_HOST
        return host if "://" in host else f"http://{host}"


@dataclass
class AnswerSettings:
    top_k: int = 6
    min_score: float = 0.3
    history_turns: int = 6
    cache: bool = True
    cache_similarity: float = 0.95
    system_prompt: str = ""
    user_template: str = ""
    max_answer_tokens: int = 1024
    source_tokens: int = 2048
    history_tokens: int = 512
    rewrite: bool = True
    backend: str = "ollama"  # ollama | llamacpp
    gguf_path: str = ""

    def context_needed(self) -> int:
        """Tokens one answer can take (prompt, sources, history, reply): what sizes num_ctx.

        From the budget, not from each question, so that every question asks for the
        same window and Ollama never reloads the model between them. 0 (no cap on
        sources) asks for the largest window allowed.
        """
        if self.source_tokens <= 0:
            return 0
        # the built-in system prompt and template are ~250 tokens; custom ones are
        # estimated at 3 characters a token
        prompt = PROMPT_TOKENS + (len(self.system_prompt) + len(self.user_template)) // 3
        return (
            prompt
            + QUESTION_TOKENS
            + self.source_tokens
            + max(self.history_tokens, 0) * (self.history_turns > 0)
            + self.max_answer_tokens
        )


@dataclass
class WatchSettings:
    debounce_ms: int = 400
    max_wait_ms: int = 5000
    reconcile_minutes: float = 30.0
    poll_folders: list[str] = field(default_factory=list)
    poll_interval_s: float = 5.0
    max_pending: int = 10000
    indexer_idle_s: float = 30.0


@dataclass
class ParsingSettings:
    timeout_s: float = 60.0
    memory_mb: int = 2048


@dataclass
class UiSettings:
    theme: str = "textual-dark"
    keys: dict[str, str] = field(default_factory=dict)  # action id (tuirag.keys) -> keys


@dataclass
class Settings:
    index: IndexSettings = field(default_factory=IndexSettings)
    embedder: EmbedderSettings = field(default_factory=EmbedderSettings)
    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    ollama: OllamaSettings = field(default_factory=OllamaSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    parsing: ParsingSettings = field(default_factory=ParsingSettings)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None  # the file these came from, if any

    @property
    def data_dir(self) -> Path:
        return paths.data_dir(self.index.data_dir)


_CHOICES = {
    ("embedder", "backend"): ("fastembed", "ollama"),
    ("embedder", "device"): ("cpu", "cuda"),
    ("search", "mode"): ("hybrid", "vector", "fts"),
    ("search", "fusion"): ("rrf", "relative"),
    ("answer", "backend"): ("ollama", "llamacpp"),
    ("ollama", "kv_cache_type"): ("", "f16", "q8_0", "q4_0"),
}

# Numbers outside these ranges make no sense (a top_k of -5, a timeout of 0 s):
# (section, key) -> (lowest, highest), None for no bound.
_RANGES: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("index", "max_file_mb"): (0.001, None),
    ("embedder", "threads"): (0, 1024),
    ("embedder", "batch_size"): (1, 4096),
    ("ollama", "embed_batch_size"): (1, 4096),
    ("chunking", "max_tokens"): (16, 8192),
    ("chunking", "overlap_tokens"): (0, 4096),
    ("search", "top_k"): (1, 1000),
    ("search", "rrf_k"): (1, None),
    ("search", "bm25_weight"): (0, None),
    ("ollama", "num_ctx"): (0, None),
    ("ollama", "max_ctx"): (512, None),
    ("ollama", "num_gpu"): (-1, None),
    ("ollama", "main_gpu"): (-1, None),
    ("ollama", "num_thread"): (0, None),
    ("ollama", "temperature"): (0, 2),
    ("ollama", "timeout_s"): (1, None),
    ("answer", "top_k"): (1, 100),
    ("answer", "min_score"): (-1, 1),
    ("answer", "history_turns"): (0, 100),
    ("answer", "cache_similarity"): (0, 1),
    ("answer", "max_answer_tokens"): (1, None),
    ("watch", "debounce_ms"): (0, 60_000),
    ("watch", "max_wait_ms"): (0, None),
    ("watch", "reconcile_minutes"): (0, None),
    ("watch", "poll_interval_s"): (0.1, None),
    ("watch", "max_pending"): (1, None),
    ("watch", "indexer_idle_s"): (0, None),
    ("parsing", "timeout_s"): (1, None),
    ("parsing", "memory_mb"): (0, None),
}


def load(explicit: str | os.PathLike[str] | None = None) -> Settings:
    """Read settings from the config file; a missing default file means defaults."""
    path = paths.config_file(explicit)
    if not path.exists():
        if explicit or os.environ.get("TUIRAG_CONFIG"):
            raise ConfigError(
                f"{path}: config file not found (create it with `tuirag config init`)"
            )
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    settings = from_dict(raw, path)
    settings.source = path
    return settings


def from_dict(raw: dict[str, Any], path: Path | str = "<config>") -> Settings:
    """Build Settings from parsed TOML, rejecting unknown keys and wrong types."""
    settings = Settings()
    for section, values in raw.items():
        if section == "plugins":
            settings.plugins = _plugins(values, path)
            continue
        target = getattr(settings, section, None)
        if section == "source" or not dataclasses.is_dataclass(target):
            raise ConfigError(f"{path}: unknown section [{section}]")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        hints = typing.get_type_hints(type(target))
        for key, value in values.items():
            if key not in hints:
                raise ConfigError(f"{path}: unknown key '{key}' in [{section}]")
            setattr(target, key, _check(value, hints[key], f"{section}.{key}", path))
            if (section, key) == ("ui", "keys"):
                _check_keys(value, path)
            _check_range(value, section, key, path)
            allowed = _CHOICES.get((section, key))
            if allowed and value not in allowed:
                raise ConfigError(
                    f"{path}: {section}.{key} = {value!r}; expected one of {', '.join(allowed)}"
                )
    return settings


def _check_range(value: Any, section: str, key: str, path: Path | str) -> None:
    low, high = _RANGES.get((section, key), (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            want = f"at least {low:g}"
        elif low is None:
            want = f"at most {high:g}"
        else:
            want = f"between {low:g} and {high:g}"
        raise ConfigError(f"{path}: {section}.{key} = {value!r} makes no sense; use {want}")


def _plugins(values: Any, path: Path | str) -> dict[str, dict[str, Any]]:
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise ConfigError(f"{path}: [plugins] must hold tables like [plugins.pdf]")
    for name, opts in values.items():
        if "enabled" in opts and not isinstance(opts["enabled"], bool):
            raise ConfigError(f"{path}: plugins.{name}.enabled must be true or false")
        if "priority" in opts and not isinstance(opts["priority"], int):
            raise ConfigError(f"{path}: plugins.{name}.priority must be an integer")
    return values


def _check_keys(table: Any, path: Path | str) -> None:
    """[ui.keys]: each name an action id of tuirag.keys, each value Textual key names."""
    if not isinstance(table, dict):
        raise ConfigError(f'{path}: ui.keys must be a table: [ui.keys] then stop = "escape"')
    for name, value in table.items():
        if name not in keys.DEFAULTS:
            raise ConfigError(
                f"{path}: ui.keys.{name} is not an action that has a key; "
                f"known: {', '.join(keys.DEFAULTS)}"
            )
        if not isinstance(value, str):
            raise ConfigError(
                f'{path}: ui.keys.{name} must be a string such as "ctrl+g" '
                f'(several keys: "escape,f8"), got {value!r}'
            )
        if (bad := keys.bad_key(value)) is not None:
            raise ConfigError(
                f"{path}: ui.keys.{name} = {value!r}: {bad!r} is not a key; write "
                f'e.g. "ctrl+g", "f7", "escape" or "x", '
                f"several separated by commas"
            )
    if (clash := keys.clash(table)) is not None:
        key, first, second, screen = clash
        raise ConfigError(
            f"{path}: ui.keys: {key!r} would be both {first} and {second} on the "
            f"{screen} screen; give one of them another key"
        )


def _check(value: Any, hint: Any, key: str, path: Path | str) -> Any:
    origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            raise ConfigError(f"{path}: {key} must be a list of {_name(item)}")
        return value
    if origin in (dict, types.UnionType):
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: {key} must be {_name(hint)}, got {value!r}")
    return value


def _name(tp: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def to_dict(settings: Settings) -> dict[str, Any]:
    """Settings as plain TOML-ready data (for `config init` and writing back)."""
    data = {f.name: dataclasses.asdict(getattr(settings, f.name)) for f in _sections()}
    if settings.plugins:
        data["plugins"] = settings.plugins
    return data


def _sections() -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(Settings) if f.name not in ("plugins", "source")]
