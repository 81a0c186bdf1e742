"""Bytes of a text file → str, in whatever encoding it was saved.

UTF-8 (with or without BOM) and BOM-marked UTF-16/32 are decoded directly.
Anything else (GBK/GB18030, Big5, Shift-JIS, EUC-KR, latin-1/cp1252…) is
identified by charset-normalizer, which scores each candidate decoding for
plausibility (mess and language coherence) instead of trusting byte patterns
alone. Binary data (NUL bytes outside UTF-16/32, or nothing decodes plausibly)
is refused with one reason, so it is reported once and never indexed as noise.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from tuirag.plugins.base import PluginError
from tuirag.types import Section

_SAMPLE_BYTES = 1 << 20  # charset-normalizer reads at most this much to decide
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_PLAUSIBLE = 0.95  # share of characters that must be letters, digits, punctuation, spaces


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # Python's codec name: "utf-8", "gb18030", "big5", "shift_jis", …

    @property
    def note(self) -> str:
        """What the user should know: a file not in UTF-8 was read in its detected encoding."""
        if self.encoding in ("utf-8", "ascii", "utf-8-sig"):
            return ""
        return f"not UTF-8: read as {self.encoding}"


def plausible(text: str) -> bool:
    """Mostly characters people write: few controls, unassigned code points or surrogates.

    A file that starts with FF FE by chance decodes "as UTF-16" into noise; this
    tells the two apart.
    """
    if not text:
        return True
    sample = text[:20_000]
    bad = sum(
        1
        for ch in sample
        if unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs") and ch not in "\t\n\r\f\v"
    )
    return bad <= (1 - _PLAUSIBLE) * len(sample)


def decode(data: bytes) -> Decoded:
    """The text of a file's bytes and the encoding used; PluginError if it is not text."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                break
            if plausible(text):
                return Decoded(text, codec.removesuffix("-sig"))
            break
    head = data[:8192]
    if b"\x00" in head and not _utf16_without_bom(head):
        raise PluginError("binary data, not text (it contains NUL bytes); nothing indexed")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    return _detect(data)


def _utf16_without_bom(head: bytes) -> bool:
    """ASCII-heavy UTF-16 text: a NUL in every other byte, on one side."""
    even, odd = head[0::2], head[1::2]
    return (
        min(even.count(0), odd.count(0)) == 0 and max(even.count(0), odd.count(0)) > len(head) // 4
    )


def _detect(data: bytes) -> Decoded:
    from charset_normalizer import from_bytes

    sample = data[:_SAMPLE_BYTES]
    best = from_bytes(sample).best()
    if best is None:
        raise PluginError(
            "not text in any known encoding (binary data?); nothing indexed. "
            "If it is text, convert it to UTF-8 (e.g. with iconv)"
        )
    encoding = best.encoding
    text = data.decode(encoding, errors="replace")
    if not plausible(text):
        raise PluginError("binary data, not text (no encoding reads it plausibly); nothing indexed")
    return Decoded(text, encoding)


def read_decoded(path: Path) -> Decoded:
    return decode(path.read_bytes())


def with_note(sections: Iterable[Section], note: str) -> Iterator[Section]:
    """The sections, the first one carrying `note` as its warning (shown in status)."""
    for section in sections:
        if note:
            section = replace(section, warning="; ".join(filter(None, [section.warning, note])))
            note = ""
        yield section
