"""Source code: one section per symbol (function, class, method), found with tree-sitter.

Each section starts with a visible header naming the language and symbol
(`# python · def parse_config`), which the chunker repeats on every piece of a
symbol too large for one chunk; the symbol's qualified name is the section's
heading. The header holds no file name or line numbers: those are the chunk's
locator, kept beside it, so a rename or an inserted line leaves the text (and its
stored vector) unchanged. A class larger than `class_chars`
(option, default 1200) is cut into its head and one section per method. Code
between symbols (imports, constants) becomes its own sections. Grammars come from
the per-language tree-sitter packages, which ship compiled parsers (nothing is
downloaded). Other source files are cut into windows of `window_lines` lines.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuirag.formats.common import read_text
from tuirag.plugins.base import FormatPlugin
from tuirag.types import Section

_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})


@dataclass(frozen=True)
class Language:
    name: str
    module: str  # the tree-sitter grammar package
    symbols: dict[str, str]  # node type -> label shown in the header ("def", "class")
    comment: str = "//"
    containers: frozenset[str] = frozenset()  # symbols whose body holds methods
    wrappers: frozenset[str] = frozenset()  # decorators, export, template<>: look inside
    scopes: frozenset[str] = frozenset()  # namespaces: not symbols, but hold symbols
    function: str = "language"

    def grammar(self) -> Any:
        import tree_sitter

        return tree_sitter.Language(getattr(importlib.import_module(self.module), self.function)())


_JS_SYMBOLS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "class_declaration": "class",
    "method_definition": "method",
    "lexical_declaration": "const",
    "variable_declaration": "var",
}
_TS_SYMBOLS = {
    **_JS_SYMBOLS,
    "abstract_class_declaration": "class",
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
}
_JS_CONTAINERS = frozenset({"class_declaration", "abstract_class_declaration"})
_JS_WRAPPERS = frozenset({"export_statement"})
_C_SYMBOLS = {
    "function_definition": "function",
    "struct_specifier": "struct",
    "enum_specifier": "enum",
    "union_specifier": "union",
}
_JAVA_TYPES = (
    "class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
)  # fmt: skip

PYTHON = Language(
    "python",
    "tree_sitter_python",
    {"function_definition": "def", "class_definition": "class"},
    comment="#",
    containers=frozenset({"class_definition"}),
    wrappers=frozenset({"decorated_definition"}),
)
JAVASCRIPT = Language(
    "javascript",
    "tree_sitter_javascript",
    _JS_SYMBOLS,
    containers=_JS_CONTAINERS,
    wrappers=_JS_WRAPPERS,
)
TYPESCRIPT = Language(
    "typescript",
    "tree_sitter_typescript",
    _TS_SYMBOLS,
    function="language_typescript",
    containers=_JS_CONTAINERS,
    wrappers=_JS_WRAPPERS,
)
TSX = Language(
    "tsx",
    "tree_sitter_typescript",
    _TS_SYMBOLS,
    function="language_tsx",
    containers=_JS_CONTAINERS,
    wrappers=_JS_WRAPPERS,
)
GO = Language(
    "go",
    "tree_sitter_go",
    {"function_declaration": "func", "method_declaration": "func", "type_declaration": "type"},
)
RUST = Language(
    "rust",
    "tree_sitter_rust",
    {
        "function_item": "fn",
        "struct_item": "struct",
        "enum_item": "enum",
        "trait_item": "trait",
        "impl_item": "impl",
        "mod_item": "mod",
        "macro_definition": "macro_rules!",
        "union_item": "union",
    },
    containers=frozenset({"impl_item", "trait_item", "mod_item"}),
)
C = Language("c", "tree_sitter_c", _C_SYMBOLS)
CPP = Language(
    "cpp",
    "tree_sitter_cpp",
    {**_C_SYMBOLS, "class_specifier": "class"},
    containers=frozenset({"class_specifier", "struct_specifier"}),
    wrappers=frozenset({"template_declaration"}),
    scopes=frozenset({"namespace_definition", "linkage_specification"}),
)
JAVA = Language(
    "java",
    "tree_sitter_java",
    {
        **dict.fromkeys(_JAVA_TYPES, "class"),
        "interface_declaration": "interface",
        "enum_declaration": "enum",
        "record_declaration": "record",
        "method_declaration": "method",
        "constructor_declaration": "constructor",
    },
    containers=frozenset(_JAVA_TYPES),
)
SHELL = Language("shell", "tree_sitter_bash", {"function_definition": "function"}, comment="#")

PARSED: dict[str, Language] = {
    ".py": PYTHON, ".pyi": PYTHON,
    ".js": JAVASCRIPT, ".mjs": JAVASCRIPT, ".cjs": JAVASCRIPT, ".jsx": JAVASCRIPT,
    ".ts": TYPESCRIPT, ".mts": TYPESCRIPT, ".cts": TYPESCRIPT, ".tsx": TSX,
    ".go": GO, ".rs": RUST, ".c": C, ".h": C,
    ".cc": CPP, ".cpp": CPP, ".cxx": CPP, ".hpp": CPP, ".hh": CPP, ".hxx": CPP,
    ".java": JAVA, ".sh": SHELL, ".bash": SHELL,
}  # fmt: skip
# Source files without a bundled grammar: cut into line windows, language named.
WINDOWED: dict[str, str] = {
    ".rb": "ruby", ".php": "php", ".kt": "kotlin", ".kts": "kotlin", ".swift": "swift",
    ".scala": "scala", ".lua": "lua", ".pl": "perl", ".pm": "perl", ".r": "r", ".cs": "csharp",
    ".fs": "fsharp", ".ex": "elixir", ".exs": "elixir", ".erl": "erlang", ".hs": "haskell",
    ".clj": "clojure", ".dart": "dart", ".sql": "sql", ".ps1": "powershell", ".bat": "batch",
    ".vue": "vue", ".svelte": "svelte", ".zig": "zig", ".nim": "nim", ".jl": "julia",
    ".groovy": "groovy", ".gradle": "groovy", ".cmake": "cmake", ".zsh": "shell",
    ".fish": "shell", "makefile": "make", "dockerfile": "dockerfile", ".proto": "protobuf",
    ".m": "objective-c", ".mm": "objective-c", ".css": "css", ".scss": "scss",
}  # fmt: skip


@dataclass
class Symbol:
    start: int  # 0-based rows, inclusive
    end: int
    label: str
    name: str


@dataclass
class _Walker:
    lang: Language
    class_chars: int
    found: list[Symbol] = field(default_factory=list)

    def walk(self, node: Any, prefix: str) -> None:
        comment_start: int | None = None
        last_row = -2
        for child in node.named_children:
            if child.type in _COMMENTS:
                adjacent = comment_start is not None and child.start_point.row <= last_row + 1
                comment_start = comment_start if adjacent else child.start_point.row
                last_row = child.end_point.row
                continue
            touching = comment_start is not None and last_row + 1 >= child.start_point.row
            lead = comment_start if touching else None
            comment_start = None
            self._visit(child, prefix, lead)

    def _visit(self, child: Any, prefix: str, lead: int | None) -> None:
        target = child
        while target.type in self.lang.wrappers:
            inner = target.child_by_field_name("definition") or target.child_by_field_name(
                "declaration"
            )
            inner = inner or next(
                (c for c in reversed(target.named_children) if c.type in self.lang.symbols), None
            )
            if inner is None:
                return
            target = inner
        if target.type in self.lang.scopes:
            body = target.child_by_field_name("body")
            name = _text(target.child_by_field_name("name"))
            if body is not None:
                self.walk(body, _join(prefix, name) if name else prefix)
            return
        label = self.lang.symbols.get(target.type)
        name = self._name(target) if label else None
        if not label or not name:
            return
        qualified = _join(prefix, name)
        trait = _text(target.child_by_field_name("trait")) if target.type == "impl_item" else None
        if trait:
            label = f"impl {trait} for"
        start = lead if lead is not None else child.start_point.row
        body = target.child_by_field_name("body")
        if (
            target.type in self.lang.containers
            and body is not None
            and child.end_byte - child.start_byte > self.class_chars
        ):
            before = len(self.found)
            self.found.append(Symbol(start, child.end_point.row, label, qualified))
            self.walk(body, qualified)
            inner = self.found[before + 1 :]
            if inner:  # the class's own section ends where its first member begins
                self.found[before].end = max(start, min(s.start for s in inner) - 1)
            return
        self.found.append(Symbol(start, child.end_point.row, label, qualified))

    def _name(self, node: Any) -> str | None:
        kind = node.type
        if kind in ("lexical_declaration", "variable_declaration"):
            for decl in node.named_children:
                value = decl.child_by_field_name("value")
                if value is not None and value.type in (
                    "arrow_function", "function_expression", "function", "generator_function",
                ):  # fmt: skip
                    return _text(decl.child_by_field_name("name"))
            return None
        if kind == "type_declaration":  # Go: type X struct {...}
            specs = ("type_spec", "type_alias")
            spec = next((c for c in node.named_children if c.type in specs), None)
            return _text(spec.child_by_field_name("name")) if spec is not None else None
        if kind == "method_declaration" and self.lang is GO:
            receiver = _text(node.child_by_field_name("receiver")) or ""
            types = re.findall(r"[A-Za-z_]\w*", receiver)
            name = _text(node.child_by_field_name("name"))
            return f"{types[-1]}.{name}" if types and name else name
        if kind == "impl_item":  # Rust: methods are named after the type, not the trait
            return _text(node.child_by_field_name("type"))
        name = node.child_by_field_name("name")
        if name is not None:
            return _text(name)
        declarator = node.child_by_field_name("declarator")  # C/C++ functions
        while declarator is not None and declarator.child_by_field_name("declarator") is not None:
            declarator = declarator.child_by_field_name("declarator")
        return _text(declarator)


def _text(node: Any) -> str | None:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else None


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def find_symbols(lang: Language, source: bytes, class_chars: int = 1200) -> list[Symbol]:
    """Symbols in source order, each with its leading comment lines."""
    import tree_sitter

    tree = tree_sitter.Parser(lang.grammar()).parse(source)
    walker = _Walker(lang, class_chars)
    walker.walk(tree.root_node, "")
    return sorted(walker.found, key=lambda s: s.start)


class CodePlugin(FormatPlugin):
    name = "code"
    version = "2"  # 2: headers without file name and line range
    extensions = tuple(sorted({*PARSED, *WINDOWED}))
    priority = 20

    def load(self, path: Path) -> Iterable[Section]:
        text = read_text(path)
        lines = text.split("\n")
        lang = _language(path)
        if lang is None:
            yield from self._windows(lines, _windowed_language(path))
            return
        class_chars = int(self.options.get("class_chars", 1200))
        symbols = find_symbols(lang, text.encode("utf-8"), class_chars)
        pos = 0
        for symbol in symbols:
            if symbol.start < pos:  # inside a symbol already emitted (nested, overlapping)
                continue
            yield from self._gap(lines, pos, symbol.start, lang)
            yield _section(lines, symbol.start, symbol.end, lang.name, lang.comment, symbol)
            pos = symbol.end + 1
        yield from self._gap(lines, pos, len(lines), lang)

    def _gap(self, lines: list[str], start: int, stop: int, lang: Language) -> Iterator[Section]:
        """Code between symbols, if it has more than braces and blank lines."""
        body = lines[start:stop]
        while body and not body[-1].strip():
            body.pop()
            stop -= 1
        while body and not body[0].strip():
            body.pop(0)
            start += 1
        if body and re.search(r"\w", "\n".join(body)):
            yield _section(lines, start, stop - 1, lang.name, lang.comment, None)

    def _windows(self, lines: list[str], language: str) -> Iterator[Section]:
        size = int(self.options.get("window_lines", 60))
        comment = "#" if language in ("ruby", "perl", "r", "shell", "make", "dockerfile") else "//"
        for start in range(0, len(lines), size):
            stop = min(len(lines), start + size) - 1
            if "".join(lines[start : stop + 1]).strip():
                yield _section(lines, start, stop, language, comment, None)


def _section(
    lines: list[str], start: int, end: int, language: str, comment: str,
    symbol: Symbol | None,
) -> Section:  # fmt: skip
    while end > start and not lines[end].strip():
        end -= 1
    parts = [language]
    if symbol is not None:
        parts.append(f"{symbol.label} {symbol.name}")
    meta: dict[str, Any] = {"language": language}
    if symbol is not None:
        meta |= {"symbol": symbol.name, "symbol_kind": symbol.label}
    return Section(
        text="\n".join(lines[start : end + 1]),
        kind="code",
        start_line=start + 1,
        heading=symbol.name if symbol is not None else "",
        header=f"{comment} " + " · ".join(parts),
        meta=meta,
    )


def _language(path: Path) -> Language | None:
    return PARSED.get(path.suffix.lower())


def _windowed_language(path: Path) -> str:
    name = path.name.lower()
    for ext, language in WINDOWED.items():
        if name.endswith(ext):
            return language
    return "text"
