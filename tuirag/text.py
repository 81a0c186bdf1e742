"""Text helpers shared by ingest, search and display: terminal safety, CJK tokens, sizes."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls. Removing ESC (0x1b)
# and the C1 CSI/OSC introducers defuses every escape sequence.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """Drop control characters that could move the cursor or talk to the terminal."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


# Characters that reorder or hide text (Trojan Source): bidi embeddings, overrides
# and isolates, and the marks that only make sense inside running text.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Everything a one-line name must not carry: controls (newline and tab too), bidi
# controls, and lone surrogates (undecodable bytes of a file name, PEP 383).
_UNSAFE_IN_NAME = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_BIDI}\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(
        match.group(), f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    )


def safe_name(text: str) -> str:
    """A path or other name for one line of a terminal: shown literally, never acted on.

    Controls, newlines, bidi controls and undecodable bytes become visible escapes
    (`\\x1b`, `\\n`, `\\u202e`, `\\xe9`), so two odd names stay distinguishable and
    none can move the cursor, talk to the terminal or fake another line.
    """
    return _UNSAFE_IN_NAME.sub(_escape, text)


def safe_json_text(dumped: str) -> str:
    """JSON text (from json.dumps(ensure_ascii=False)) with DEL, C1 and bidi controls and
    lone surrogates as \\u escapes: still the same JSON, but safe to print to a terminal."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


# kana, CJK ideographs (and extension A), hangul, compatibility ideographs
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
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    return bool(chars) and cjk * 3 >= len(chars)


def human_bytes(n: float) -> str:
    """A size in decimal units (1 GB = 10^9 bytes), the units `ollama list` and disks use."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
