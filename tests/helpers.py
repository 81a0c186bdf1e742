"""Small helpers every test folder imports as `tests.helpers`."""

from __future__ import annotations

from pathlib import Path


def write(path: Path, text: str) -> Path:
    """Write a UTF-8 text file, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
