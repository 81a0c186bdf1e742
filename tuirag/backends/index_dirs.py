"""Where indexes live on disk and how big they are, without importing LanceDB
(`status`, `prune` and `doctor` list them before, or without, opening one)."""

from __future__ import annotations

from pathlib import Path


def folder_bytes(folder: Path) -> int:
    """Bytes on disk of every file under `folder`."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def index_folders(data_dir: Path) -> list[Path]:
    """Every per-embedder index under the data dir (for status)."""
    root = data_dir / "index"
    return sorted(p for p in root.iterdir() if (p / "meta.json").exists()) if root.exists() else []
