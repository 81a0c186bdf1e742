"""--path and --kind (and kind:/path: before a question) narrow search and ask."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugin_files import manual_pdf
from tuirag.cli.main import main
from tuirag.errors import UserError
from tuirag.search.filters import SearchFilter, glob_to_like, make_filter, split_prefix


def test_globs_become_escaped_like_patterns(tmp_path: Path) -> None:
    assert glob_to_like("*.pdf") == "%.pdf"
    assert glob_to_like("manuals/*") == "%/manuals/%"
    assert glob_to_like("/srv/docs/a?.md") == "/srv/docs/a_.md"
    assert glob_to_like("100%_done.txt") == "%/100\\%\\_done.txt"  # % and _ are literal
    folder = tmp_path / "docs"
    folder.mkdir()
    assert glob_to_like(str(folder)) == str(folder.resolve()).replace("_", "\\_") + "/%"
    where = SearchFilter(path="o'brien/*", kinds=("pdf", "doc")).sql()
    assert "path LIKE '%/o''brien/%'" in where  # a quote cannot end the string
    assert "plugin IN ('pdf')" in where and "plugin NOT IN (" in where


def test_question_prefix_and_kind_checks() -> None:
    where, rest = split_prefix("kind:pdf,table path:'my docs/*' how do I reset it?")
    assert where == SearchFilter("my docs/*", ("pdf", "table")) and rest == "how do I reset it?"
    assert split_prefix("what does kind:pdf mean?") == (SearchFilter(), "what does kind:pdf mean?")
    with pytest.raises(UserError, match="unknown kind 'pdfs': use one of pdf, table, code, doc"):
        make_filter(None, ["pdfs"])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "notes").mkdir(parents=True)
    (docs / "o'brien").mkdir()
    manual_pdf(docs / "router-manual.pdf")
    (docs / "notes" / "router.md").write_text("# Router\n\nThe router sits on the hall shelf.\n")
    (docs / "o'brien" / "router-prices.csv").write_text("model,price\nR100 router,99\n")
    (docs / "router.py").write_text("def reset_router():\n    '''Reset the router.'''\n")
    assert main(["ingest", str(docs)]) == 0
    return docs


def _paths(capsys, *args: str) -> list[str]:
    assert main(["search", *args, "--json", "-k", "10"]) == 0
    return [hit["path"] for hit in json.loads(capsys.readouterr().out)]


def test_search_filters_by_kind_and_path(folder: Path, capsys) -> None:
    capsys.readouterr()
    everything = _paths(capsys, "router")
    assert {Path(p).suffix for p in everything} == {".pdf", ".md", ".csv", ".py"}
    assert {Path(p).suffix for p in _paths(capsys, "router", "--kind", "pdf")} == {".pdf"}
    assert {Path(p).suffix for p in _paths(capsys, "router", "--kind", "table,code")} == {
        ".csv",
        ".py",
    }
    assert {Path(p).suffix for p in _paths(capsys, "router", "--kind", "doc")} == {".md"}
    assert set(_paths(capsys, "router", "--path", "notes/*")) == {str(folder / "notes/router.md")}
    assert set(_paths(capsys, "router", "--path", "o'brien/*")) == {
        str(folder / "o'brien" / "router-prices.csv")
    }
    assert set(_paths(capsys, "kind:code router")) == {str(folder / "router.py")}
    assert _paths(capsys, "router", "--path", "*.docx") == []
    assert main(["search", "router", "--kind", "video"]) == 2
    assert "unknown kind 'video'" in capsys.readouterr().err


def test_ask_with_a_prefix_cites_only_matching_files(folder: Path, ollama_server, capsys) -> None:
    ollama_server.reply = "It sits on the hall shelf [1]."
    capsys.readouterr()
    assert main(["ask", "path:notes/* where is the router?", "--json"]) == 0
    sources = json.loads(capsys.readouterr().out)["sources"]
    assert sources and {s["path"] for s in sources} == {str(folder / "notes" / "router.md")}
    assert main(["ask", "where is the router?", "--kind", "table", "--json"]) == 0
    sources = json.loads(capsys.readouterr().out)["sources"]
    assert {Path(s["path"]).suffix for s in sources} == {".csv"}


def test_a_filtered_no_match_names_the_filter(folder: Path, ollama_server, capsys) -> None:
    """Nothing found under a filter says so, and how to search everything instead."""
    capsys.readouterr()
    assert main(["search", "router", "--path", "*.docx"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "No passage in files matching path:*.docx matches this." in shown
    assert "drop the filter (path:*.docx)" in shown
    assert main(["ask", "kind:code what is the price of the R100?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)["answer"]
    assert "Files matching kind:code do not seem to contain this" in answer, answer
    assert "drop the filter (kind:code)" in answer
    assert not ollama_server.chats(), "the model was asked although nothing matched"


def test_relative_fusion_keeps_a_clear_vector_winner() -> None:
    """Rank fusion with BM25 weighted 2x puts a keyword-rich neighbour above the vector's
    clear best hit; score-aware fusion keeps the best hit first."""
    from tuirag.search.retrieval import relative_fuse, rrf_fuse
    from tuirag.types import Hit

    def hit(cid: str, score: float, cosine: float) -> Hit:
        return Hit(path=f"/d/{cid}", text=cid, score=score, chunk_id=cid, vector_score=cosine)

    dense = [hit("answer", 0.82, 0.82), hit("a", 0.41, 0.41), hit("b", 0.40, 0.40)]
    sparse = [
        hit("a", 9.0, 0.41),
        hit("b", 8.9, 0.40),
        hit("c", 8.8, 0.20),
        hit("answer", 8.0, 0.82),
        hit("d", 3.0, 0.10),
    ]
    assert rrf_fuse([dense, sparse], 3, 10, (1.0, 2.0))[0].chunk_id == "a"
    fused = relative_fuse(dense, sparse, 3, bm25_weight=1.0)
    assert fused[0].chunk_id == "answer" and fused[0].vector_score == 0.82


def test_cjk_text_is_indexed_as_characters_and_pairs() -> None:
    from tuirag.text import fts_text

    assert fts_text("用 debc 查看文件").split() == [
        "用",
        "debc",
        "查",
        "看",
        "文",
        "件",
        "查看",
        "看文",
        "文件",
    ]


def test_a_query_is_mostly_cjk_when_a_third_of_its_characters_are() -> None:
    from tuirag.text import mostly_cjk

    assert mostly_cjk("用 debc 查看文件")  # 5 of 9 characters
    assert mostly_cjk("한국어 text") and mostly_cjk("日本語のテキスト abc")
    assert not mostly_cjk("查看 hello world")  # 2 of 12
    assert not mostly_cjk("hello world") and not mostly_cjk("  ")
