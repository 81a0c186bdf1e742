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


def test_a_released_model_reloads_when_next_needed(tmp_path: Path) -> None:
    settings = Settings()
    embedder = make_embedder(settings.embedder, settings.ollama, tmp_path)
    before = embedder.embed_documents(["The router supports 5 GHz wifi."])
    embedder.release()  # what an idle `tuirag watch` does
    after = embedder.embed_documents(["The router supports 5 GHz wifi."])
    assert np.allclose(before, after, atol=1e-5)
