"""Chinese, Japanese and Korean text: BM25 tokens per character, and query detection."""

from __future__ import annotations

import re

CJK_CHAR = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff])")


def fts_text(text: str) -> str:
    """Space out CJK characters so the whitespace tokenizer indexes each one."""
    return CJK_CHAR.sub(r" \1 ", text)


def mostly_cjk(text: str) -> bool:
    """At least a third of the non-space characters are CJK ideographs, kana or hangul."""
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and len(CJK_CHAR.findall(text)) * 3 >= len(chars)
