"""Sizes as people read them, one way everywhere.

Decimal units (1 GB = 10⁹ bytes), as `ollama list`, `ollama ps`, disk makers and
NVIDIA's spec sheets count: the same model shows the same number in `tuirag
models`, `tuirag models ps`, the Models screen and Ollama's own CLI.
"""

from __future__ import annotations


def human_bytes(n: float) -> str:
    """`512 B`, `48.2 MB`, `4.7 GB`."""
    if abs(n) < 1000:
        return f"{n:.0f} B"
    for unit in ("KB", "MB"):
        n /= 1000
        if abs(n) < 999.95:  # not "1000.0 KB"
            return f"{n:.1f} {unit}"
    return f"{n / 1000:.1f} GB"
