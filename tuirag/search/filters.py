"""Narrow a search to some files: a path glob and file kinds (pdf, table, code, doc).

The same filter comes from `--path`/`--kind` on the command line and from a prefix
typed before a question in the app or `tuirag ask`:

    kind:pdf path:manuals/* how do I reset the router?
    kind:table,doc what did the router cost?

It becomes a SQL predicate that LanceDB applies before ranking (a prefilter), so
the top k are the best k among the matching files, not a filtered top k.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from tuirag.errors import UserError

# file kinds by the plugin that read them; "doc" is every other document plugin
KIND_PLUGINS = {"pdf": ("pdf",), "table": ("tables",), "code": ("code",)}
KINDS = ("pdf", "table", "code", "doc")
_PREFIX = re.compile(r"^\s*(kind|path):(\"[^\"]*\"|'[^']*'|\S+)\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SearchFilter:
    path: str = ""  # a glob: "*.pdf", "manuals/*", "/abs/folder/*"; a bare folder works too
    kinds: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.path or self.kinds)

    def describe(self) -> str:
        parts = [f"kind:{','.join(self.kinds)}"] if self.kinds else []
        return " ".join([*parts, *([f"path:{self.path}"] if self.path else [])])

    def merged(self, other: SearchFilter) -> SearchFilter:
        return SearchFilter(other.path or self.path, tuple(dict.fromkeys(self.kinds + other.kinds)))

    def sql(self) -> str:
        """The LanceDB predicate over the chunks table ("" when nothing is filtered)."""
        clauses = []
        if self.kinds:
            named = [p for kind in self.kinds for p in KIND_PLUGINS.get(kind, ())]
            parts = [f"plugin IN ({', '.join(_quote(p) for p in named)})"] if named else []
            if "doc" in self.kinds:
                others = [p for ps in KIND_PLUGINS.values() for p in ps]
                parts.append(f"plugin NOT IN ({', '.join(_quote(p) for p in others)})")
            clauses.append("(" + " OR ".join(parts) + ")")
        if self.path:
            clauses.append(f"path LIKE {_quote(glob_to_like(self.path))}")
        return " AND ".join(clauses)


def make_filter(path: str | None = None, kinds: list[str] | None = None) -> SearchFilter:
    """A filter from user input; a bad kind is a UserError saying which kinds exist."""
    chosen: list[str] = []
    for item in kinds or []:
        for kind in item.split(","):
            kind = kind.strip().lower()
            if not kind:
                continue
            if kind not in KINDS:
                raise UserError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}", 2)
            chosen.append(kind)
    return SearchFilter((path or "").strip(), tuple(dict.fromkeys(chosen)))


def split_prefix(question: str) -> tuple[SearchFilter, str]:
    """`kind:` and `path:` words at the start of a question, and the question without them."""
    kinds: list[str] = []
    path = ""
    rest = question
    while match := _PREFIX.match(rest):
        value = match.group(2)
        if value[0] in "\"'":
            value = shlex.split(value)[0] if len(value) > 1 else ""
        if match.group(1).lower() == "kind":
            kinds.append(value)
        else:
            path = value
        rest = rest[match.end() :]
    if not (kinds or path):
        return SearchFilter(), question
    return make_filter(path, kinds), rest.strip()


def glob_to_like(glob: str) -> str:
    """A shell-style glob as a LIKE pattern over absolute paths.

    "*.pdf" → "%.pdf"; "manuals/*" → "%/manuals/%"; an existing folder matches
    everything under it; `*` also crosses folders (like `**`).
    """
    expanded = os.path.expanduser(glob)
    if not any(ch in expanded for ch in "*?[") and Path(expanded).is_dir():
        expanded = str(Path(expanded).resolve()) + "/*"
    escaped = expanded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = escaped.replace("*", "%").replace("?", "_")
    if not like.startswith(("/", "%")):
        like = "%/" + like
    return like


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
