"""Embedder choice: the bundled model offline, clear errors for unavailable ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tuirag.backends.embedder import EmbedderError, make_embedder, prefixes_for
from tuirag.cli.main import main
from tuirag.config import EmbedderSettings, Settings


def test_bundled_model_embeds_offline(embedder) -> None:
    assert embedder.dim == 384 and embedder.max_tokens == 256
    docs = embedder.embed_documents(["The router supports 5 GHz wifi.", "Cats sleep a lot."])
    query = embedder.embed_query("which wifi bands are supported")
    assert docs.shape == (2, 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    assert float(docs[0] @ query) > float(docs[1] @ query) + 0.2


def test_unavailable_model_offline_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[embedder]\nmodel = "BAAI/bge-small-en-v1.5"\n')
    assert main(["--config", str(config), "search", "anything"]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("tuirag: cannot load embedding model 'BAAI/bge-small-en-v1.5'")
    assert "embedder.model_path" in err


def test_cuda_without_gpu_runtime_says_what_to_install(tmp_path: Path) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this machine has onnxruntime-gpu")
    settings = Settings()
    settings.embedder.device = "cuda"
    with pytest.raises(EmbedderError, match=r"pip install 'tuirag\[gpu\]'"):
        make_embedder(settings.embedder, settings.ollama, tmp_path)


def test_instruction_prefixes_per_model() -> None:
    plain = EmbedderSettings()
    assert prefixes_for("intfloat/multilingual-e5-large", plain) == ("query: ", "passage: ")
    assert prefixes_for("nomic-embed-text", plain) == ("search_query: ", "search_document: ")
    assert prefixes_for("all-MiniLM-L6-v2-int8", plain) == ("", "")
    custom = EmbedderSettings(query_prefix="Q: ")
    assert prefixes_for("intfloat/e5-small", custom) == ("Q: ", "")


def test_batches_are_sized_by_tokens_and_keep_the_order(embedder) -> None:
    from tuirag.backends.embedder import token_batches

    texts = [("word " * n).strip() for n in (200, 3, 90, 1, 250, 7, 40, 2)]
    batches = token_batches(embedder.tokenizer, texts, budget=300, max_tokens=256)
    assert sorted(i for b in batches for i in b) == list(range(len(texts)))
    for batch in batches:
        longest = max(min(len(embedder.tokenizer.encode(texts[i]).ids), 256) for i in batch)
        assert len(batch) == 1 or len(batch) * longest <= 300
    together = embedder.embed_documents(texts)
    alone = np.stack([embedder.embed_documents([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-3)


def test_an_index_keeps_what_sizes_chunks_so_the_model_loads_only_to_embed(
    settings: Settings,
) -> None:
    from tuirag.backends.embedder import DeferredEmbedder
    from tuirag.services import Services

    first = Services(settings)
    loaded = first.embedder  # no index yet: the model loads
    assert not isinstance(loaded, DeferredEmbedder)
    first.store  # noqa: B018 - opening the index keeps its tokenizer
    later = Services(settings).embedder
    assert isinstance(later, DeferredEmbedder)
    assert (later.key, later.dim, later.label, later.max_tokens, later.multilingual) == (
        loaded.key, loaded.dim, loaded.label, loaded.max_tokens, loaded.multilingual,
    )  # fmt: skip
    texts = ["Größe naïve café 東京 — def f(x): return x**2", "word " * 400, "\t\n  "]
    for text in texts:
        assert later.tokenizer.encode(text).ids == loaded.tokenizer.encode(text).ids
    assert later._model is None  # nothing embedded yet
    assert np.allclose(later.embed_documents(texts), loaded.embed_documents(texts), atol=1e-5)
    assert np.allclose(later.embed_query("wifi"), loaded.embed_query("wifi"), atol=1e-5)


def test_a_model_whose_files_changed_is_one_line_and_the_next_run_uses_it(
    settings: Settings,
) -> None:
    import json
    import shutil

    from tuirag.services import Services

    first = Services(settings)
    real = first.store.folder
    keys_file = settings.data_dir / "index" / "embedders.json"
    keys = json.loads(keys_file.read_text())
    # as if these settings had opened another model's index before (model_path replaced)
    old = shutil.copytree(real, real.parent / "fastembed-replaced-model-384-00000000")
    keys_file.write_text(json.dumps({k: old.name for k in keys}))
    stale = Services(settings).embedder
    assert stale.key == old.name
    with pytest.raises(EmbedderError, match="run the command again"):
        stale.embed_query("anything")
    assert Services(settings).embedder.key == real.name


def test_onnx_runtime_threads_do_not_spin_between_batches(embedder) -> None:
    options = embedder._session().model.model.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert not options.enable_cpu_mem_arena
