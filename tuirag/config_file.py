"""Write config files: every key with a comment saying what it does.

tomli-w writes values but not comments, so each key's value is rendered with
tomli-w and its comment is placed above it. `config.example.toml` is this
renderer's output for the defaults (a test keeps them in step).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import tomli_w

from tuirag import keys
from tuirag.config import Settings, to_dict

DOCS: dict[str, str] = {
    "index": "What to index and what never to index.",
    "index.folders": "Folders that `tuirag ingest`, `tuirag watch` and the app keep indexed.",
    "index.data_dir": "Where the index lives; empty = the platform data dir ($TUIRAG_DATA_DIR wins).",
    "index.ignore": 'Extra .gitignore-style patterns to skip, e.g. ["*.csv", "archive/"].',
    "index.secret_patterns": "Extra file patterns treated as secrets (never indexed). .env, keys, credentials are built in.",
    "index.respect_gitignore": "Honour .gitignore files in indexed folders (nested ones too).",
    "index.follow_symlinks": "Follow symlinks (only to targets inside indexed folders; loops are detected).",
    "index.max_file_mb": "Files larger than this are skipped and reported.",
    "embedder": "How text becomes vectors. Changing the model builds a separate index; nothing is mixed.",
    "embedder.backend": '"fastembed" (ONNX, in-process) or "ollama" (the daemon\'s /api/embed, e.g. on a GPU).',
    "embedder.model": 'fastembed model name; the default ships with tuirag and needs no network. With backend = "ollama", the Ollama model.',
    "embedder.model_path": "A local folder with model.onnx + tokenizer.json for a fastembed model (air-gapped machines).",
    "embedder.device": '"cpu" or "cuda" (needs onnxruntime-gpu: pip install \'tuirag[gpu]\').',
    "embedder.threads": "ONNX threads; 0 = number of cores, at most 4.",
    "embedder.batch_size": "fastembed: full-length chunks per embedding batch; batches are sized by tokens (batch_size x the model's max tokens), so shorter chunks go more at a time. Small batches keep memory flat. The Ollama backend uses ollama.embed_batch_size instead.",
    "embedder.query_prefix": 'Text put before queries; empty = the model\'s known prefix (e5: "query: ").',
    "embedder.passage_prefix": "Text put before passages; empty = the model's known prefix.",
    "chunking": "How files are cut into chunks, in the embedder's tokens.",
    "chunking.max_tokens": "Largest chunk; capped at the model's own limit (256 for the default model).",
    "chunking.overlap_tokens": "Tokens repeated between neighbouring chunks.",
    "search": "Retrieval.",
    "search.mode": '"hybrid" (vector + BM25 fused by reciprocal rank), "vector" or "fts".',
    "search.top_k": "Passages `tuirag search` shows by default.",
    "search.rrf_k": "Reciprocal-rank-fusion constant; larger flattens the fused ranking.",
    "search.bm25_weight": "BM25's weight against the vectors' (1) in hybrid fusion; see docs/PERFORMANCE.md.",
    "search.fusion": 'How hybrid fuses the two rankings: "rrf" (reciprocal rank) or "relative" (scores scaled to 0..1, added with bm25_weight; see docs/PERFORMANCE.md).',
    "ollama": "The local model server. Only this host ever receives document text.",
    "ollama.host": "Empty = $OLLAMA_HOST or http://127.0.0.1:11434. A non-local host sends your documents over the network.",
    "ollama.model": "The chat model (a Qwen 2.5 7B instruct q4 build by default).",
    "ollama.embed_model": 'Embedding model used when embedder.backend = "ollama" and embedder.model is the default.',
    "ollama.embed_batch_size": 'Texts per /api/embed request when embedder.backend = "ollama" (Ollama batches them itself; small requests cost round trips). Indexing sends at most 32 at a time, between two checks for a stop.',
    "ollama.keep_alive": 'How long Ollama keeps the model loaded after a request (e.g. "30m", "-1" = forever).',
    "ollama.num_ctx": "Context window to request; 0 = sized from the answer budget (answer.source_tokens + history_tokens + max_answer_tokens + the prompt), rounded up to 2048/4096/8192/16384/… so it stays the same between questions (a change reloads the model), capped by max_ctx and the model's own length.",
    "ollama.max_ctx": "Upper bound for the context window (its KV cache takes VRAM: ~0.22 GB per 4096 tokens for a 7B Qwen).",
    "ollama.num_gpu": "Layers to put on the GPU; -1 = let Ollama decide.",
    "ollama.main_gpu": "GPU index for the model; -1 = let Ollama decide.",
    "ollama.num_thread": "CPU threads for Ollama; 0 = let Ollama decide.",
    "ollama.temperature": "Sampling temperature for answers.",
    "ollama.timeout_s": "Seconds to wait for Ollama before giving up.",
    "ollama.kv_cache_type": "The KV cache type your Ollama server runs with (its "
    'OLLAMA_KV_CACHE_TYPE: "f16", "q8_0", "q4_0"); only sizes tuirag\'s VRAM estimates. '
    "Empty = $OLLAMA_KV_CACHE_TYPE here, else f16.",
    "answer": "How questions are answered.",
    "answer.top_k": "Passages retrieved for a question (weakest dropped first if the context is full).",
    "answer.min_score": "Cosine similarity below which a passage that also shares few of the question's words counts as unrelated (left out); with none related the answer says so.",
    "answer.history_turns": "Previous question/answer pairs sent with a follow-up.",
    "answer.cache": "Answer a repeated question over an unchanged index from the cache.",
    "answer.cache_similarity": "How similar (cosine) a question must be to a cached one to reuse its answer.",
    "answer.system_prompt": "Replace the built-in system prompt (empty = built-in).",
    "answer.user_template": "Replace the built-in question template; {sources} and {question} are filled in.",
    "answer.max_answer_tokens": "Longest answer (num_predict); this much of the context window is kept free for it.",
    "answer.source_tokens": "Most tokens of retrieved passages in one prompt (the best first, up to top_k); prompt size is latency on small GPUs. 0 = fill the whole window.",
    "answer.history_tokens": "Most tokens of earlier turns sent with a follow-up (newest first).",
    "answer.rewrite": "Let the model rewrite a follow-up question into a stand-alone search query (else: joined with the previous question).",
    "answer.backend": '"ollama" (the daemon at ollama.host) or "llamacpp" (in-process, no daemon: pip install \'tuirag[llamacpp]\').',
    "answer.gguf_path": 'With backend = "llamacpp": the GGUF chat model file. The [ollama] num_ctx, max_ctx, num_gpu, main_gpu, num_thread and temperature apply.',
    "watch": "Background indexing of changed files.",
    "watch.debounce_ms": "Quiet time after a file's last change before it is indexed.",
    "watch.max_wait_ms": "Longest a file that keeps changing waits before it is indexed anyway.",
    "watch.reconcile_minutes": "A full rescan this often catches events the OS dropped; 0 = only at start.",
    "watch.poll_folders": "Folders to poll instead of using OS events (network mounts).",
    "watch.poll_interval_s": "Seconds between polls of polled folders.",
    "watch.max_pending": "Most changed files queued at once; beyond it one full rescan replaces the queue.",
    "watch.indexer_idle_s": "`tuirag watch` indexes in a second process that ends this long after its last work, leaving a ~25 MiB watcher; the next change starts it again in ~2 s. 0 = it stays.",
    "parsing": "Format plugins run in a child process; a file that exceeds these limits is stopped and reported.",
    "parsing.timeout_s": "Seconds one file may take to parse.",
    "parsing.memory_mb": "Address space (MB) the parsing process may use (RLIMIT_AS); 0 = no limit.",
    "ui": "The terminal app.",
    "ui.theme": 'A Textual theme name, e.g. "textual-dark" or "textual-light".',
    "ui.keys": 'Remap keys: ACTION = "keys" in Textual\'s names ("ctrl+g", "f7", "escape", "x"), several separated by commas, e.g. stop = "escape,f8". Every action, with its default:',
}

# keys a nested table may hold, shown commented out with their defaults
TABLE_DEFAULTS: dict[str, dict[str, str]] = {"ui.keys": keys.DEFAULTS}


def render(settings: Settings) -> str:
    lines = ["# tuirag configuration. Every key is optional; shown here with its default.", ""]
    for section, values in to_dict(settings).items():
        if section == "plugins":
            continue
        lines.append(f"# {DOCS.get(section, '')}".rstrip())
        lines.append(f"[{section}]")
        tables = {k: v for k, v in values.items() if isinstance(v, dict)}
        for key, value in values.items():
            if key in tables:
                continue
            doc = DOCS.get(f"{section}.{key}")
            if doc:
                lines.append(f"# {doc}")
            lines.append(tomli_w.dumps({key: value}).strip())
        lines.append("")
        for key, table in tables.items():  # after the section's own keys, as TOML requires
            lines += _table(f"{section}.{key}", table)
    lines += [
        "# Format plugins: [plugins.NAME] with enabled = false, priority = N (higher wins",
        "# when two claim a file), or the plugin's own options. `tuirag plugins` lists them.",
    ]
    if settings.plugins:
        lines.append(tomli_w.dumps({"plugins": settings.plugins}).strip())
    else:
        lines += ["# [plugins.pdf]", "# enabled = true"]
    return "\n".join(lines) + "\n"


def _table(name: str, table: dict[str, object]) -> list[str]:
    lines = [f"# {DOCS[name]}", f"[{name}]"]
    lines += [tomli_w.dumps({k: v}).strip() for k, v in table.items()]
    unset = {k: v for k, v in TABLE_DEFAULTS.get(name, {}).items() if k not in table}
    lines += [f"# {tomli_w.dumps({k: v}).strip()}" for k, v in unset.items()]
    return [*lines, ""]


def write(path: Path, settings: Settings) -> None:
    """Write settings atomically (a crash never leaves half a config)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(render(settings), encoding="utf-8")
    tmp.replace(path)


def destination(settings: Settings) -> Path:
    """Where `settings` are saved: the file they came from, else the default config file."""
    from tuirag import paths

    return settings.source or paths.config_file()


def save(settings: Settings) -> Path:
    """Write `settings` to their `destination` (atomically); they now come from there."""
    path = destination(settings)
    write(path, settings)
    settings.source = path
    return path


def add_folders(settings: Settings, folders: Iterable[Path]) -> tuple[list[Path], Path]:
    """Add the folders not yet covered by index.folders and save the config.

    Returns the folders added and the config file. A folder inside one already
    listed is covered by it and is not added.
    """
    from tuirag import paths

    listed = [paths.absolute(f) for f in settings.index.folders]
    added: list[Path] = []
    for folder in folders:
        if folder.is_dir() and not paths.within(folder, [*listed, *added]):
            added.append(folder)
    if not added:
        return added, destination(settings)
    settings.index.folders += [str(f) for f in added]
    return added, save(settings)
