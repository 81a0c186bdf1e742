"""Code plugin: symbol boundaries, names and line ranges per language, visible headers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.plugin_files import PYTHON_SOURCE
from tuirag.backends.embedder import bundled_tokenizer
from tuirag.formats.code import CodePlugin
from tuirag.ingest.chunker import Chunker
from tuirag.ingest.parse import parse_file

SOURCES = {
    "server.go": (
        "package main\n\n// Server serves.\ntype Server struct{ port int }\n\n"
        "// Start starts it.\nfunc (s *Server) Start() error {\n\treturn nil\n}\n",
        [("type Server", 3, 4), ("func Server.Start", 6, 9)],
    ),
    "lib.rs": (
        "struct Bar;\n\nimpl Foo for Bar {\n    fn x(&self) -> u32 {\n        1\n    }\n}\n\n"
        "fn main() {}\n",
        [("struct Bar", 1, 1), ("impl Foo for Bar", 3, 7), ("fn main", 9, 9)],
    ),
    "net.cpp": (
        "namespace net {\nclass Conn {\n public:\n  int send(int n) { return n; }\n};\n}\n"
        "int net_open(const char* host) { return 0; }\n",
        [("class net.Conn", 2, 5), ("function net_open", 7, 7)],
    ),
    "point.c": (
        "struct point { int x; };\n\nstatic int *add(int a) {\n  return 0;\n}\n",
        [("struct point", 1, 1), ("function add", 3, 5)],
    ),
    "api.ts": (
        "export interface Opts { a: number }\n"
        "export const handler = async (x: number) => x + 1;\n"
        "export class Api {\n  get(id: string) { return id; }\n}\n",
        [("interface Opts", 1, 1), ("const handler", 2, 2), ("class Api", 3, 5)],
    ),
    "app.js": (
        "function main() {\n  return 1;\n}\nclass Store { save() {} }\n",
        [("function main", 1, 3), ("class Store", 4, 4)],
    ),
    "Shop.java": (
        "public class Shop {\n  public int price(String item) {\n    return 1;\n  }\n}\n",
        [("class Shop", 1, 5)],
    ),
    "deploy.sh": (
        "#!/bin/sh\nset -e\n\ndeploy() {\n  echo hi\n}\n",
        [("function deploy", 4, 6)],
    ),
}


def _symbols(path: Path, **options):
    return [
        (s.meta.get("symbol_kind", "") + " " + s.meta.get("symbol", ""), s.start_line,
         s.start_line + s.text.count("\n"))
        for s in parse_file(CodePlugin(options), path) if "symbol" in s.meta
    ]  # fmt: skip


def test_python_symbols_headers_and_module_code(tmp_path: Path) -> None:
    path = tmp_path / "pkg" / "config.py"
    path.parent.mkdir()
    path.write_text(PYTHON_SOURCE)
    sections = parse_file(CodePlugin(), path)
    header, fn, cls = sections[0], sections[1], sections[2]
    # what the code says, not where it sits: no file name or line range (those are the
    # locator), so a rename or a line inserted above keeps the text and its vector
    assert header.header == "# python" and "import tomllib" in header.text
    assert (header.start_line, fn.start_line) == (1, 8)
    assert fn.header == "# python · def parse_config"
    assert fn.text.startswith("# Read the config file")  # the leading comment stays with it
    assert (fn.heading, fn.meta["language"], fn.start_line) == ("parse_config", "python", 8)
    assert cls.header == "# python · class Server"
    # a big class is cut into its head and one section per method
    split = _symbols(path, class_chars=50)
    assert split == [("def parse_config", 8, 12), ("class Server", 15, 16),
                     ("def Server.start", 18, 20), ("def Server.stop", 22, 23)]  # fmt: skip


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_symbols_per_language(tmp_path: Path, name: str) -> None:
    source, expected = SOURCES[name]
    path = tmp_path / name
    path.write_text(source)
    assert _symbols(path) == expected


def test_big_function_is_split_with_its_header_on_every_chunk(tmp_path: Path) -> None:
    body = "\n".join(f"    total += compute_value_{i}(argument_{i})" for i in range(80))
    path = tmp_path / "big.py"
    path.write_text(f"def accumulate():\n    total = 0\n{body}\n    return total\n")
    chunks = list(Chunker(bundled_tokenizer(), 128, 10).chunk(parse_file(CodePlugin(), path)))
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.text.split("\n")[0] == "# python · def accumulate"
        assert chunk.heading == "accumulate" and chunk.kind == "code"
    assert chunks[0].start_line == 1 and chunks[-1].end_line == 83
    assert all(a.end_line >= b.start_line - 1 for a, b in itertools.pairwise(chunks))


def test_other_sources_fall_back_to_line_windows(tmp_path: Path) -> None:
    path = tmp_path / "tool.rb"
    path.write_text("\n".join(f"puts {i}" for i in range(130)) + "\n")
    sections = parse_file(CodePlugin(), path)
    assert [(s.start_line, s.header) for s in sections] == [
        (1, "# ruby"),
        (61, "# ruby"),
        (121, "# ruby"),
    ]
