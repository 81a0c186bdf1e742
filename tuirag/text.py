"""Text helpers shared by ingest, search and display: terminal safety, CJK tokens, sizes."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls. Removing ESC (0x1b)
# and the C1 CSI/OSC introducers defuses every escape sequence.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

CJK_CHAR = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff])")


def strip_controls(text: str) -> str:
    """Drop control characters that could move the cursor or talk to the terminal."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


def fts_text(text: str) -> str:
    """CJK runs as single characters plus overlapping pairs, for the word tokenizer.

    Chinese and Japanese have no spaces between words: each character is a token,
    and so is each pair of neighbours ("查看文件" → 查 看 文 件 查看 看文 文件), so a
    question's two-character words match as words, not as loose characters.
    """
    return _CJK_RUN.sub(_cjk_tokens, text)


def _cjk_tokens(match: re.Match[str]) -> str:
    run = match.group(0)
    pairs = [run[i : i + 2] for i in range(len(run) - 1)]
    return " " + " ".join([*run, *pairs]) + " "


def mostly_cjk(text: str) -> bool:
    """At least a third of the non-space characters are CJK ideographs, kana or hangul."""
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and len(CJK_CHAR.findall(text)) * 3 >= len(chars)


def human_bytes(n: float) -> str:
    """A size in decimal units (1 GB = 10^9 bytes), the units `ollama list` and disks use."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
