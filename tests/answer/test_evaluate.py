"""The eval harness: metric code against a hand-computed case, and `tuirag eval` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import write
from tuirag.cli.main import main
from tuirag.errors import UserError
from tuirag.evaluate import (
    Question,
    first_relevant_rank,
    kind_of,
    language_of,
    parse_questions,
    score,
)
from tuirag.search.retrieval import rrf_fuse
from tuirag.services import Services
from tuirag.types import Hit

ROOT = Path("/corpus")


def hit(path: str, text: str, n: int = 0) -> Hit:
    return Hit(path=str(ROOT / path), text=text, score=1.0 / (n + 1), chunk_id=f"c{path}{n}")


def filler(n: int) -> list[Hit]:
    return [hit("other.md", f"unrelated passage {i}", i) for i in range(n)]


def test_recall_and_mrr_match_a_hand_computed_case() -> None:
    q1 = Question("fee?", ("fee: 40 EUR",), "a.md")
    q2 = Question("port?", ("port", "8443"), "b.md")
    q3 = Question("who?", ("Dana Liu",), "c.md")
    q4 = Question("never?", ("absent",), "d.md")
    rankings = {
        q1: [hit("a.md", "The FEE:  40 eur per seat")],  # case and spacing ignored: rank 1
        q2: [*filler(2), hit("b.md", "listens on port 8443")],  # rank 3
        q3: [
            hit("c.md", "the owner is someone else"),  # right file, wrong text
            hit("x.md", "Dana Liu owns it"),  # right text, wrong file
            *filler(3),
            hit("c.md", "owner: dana liu"),  # rank 6
        ],
        q4: filler(10),
    }
    ranks = [first_relevant_rank(hits, q, ROOT) for q, hits in rankings.items()]
    assert ranks == [1, 3, 6, None]

    scores = score(ranks)
    # recall@k = share of questions with a relevant hit at rank <= k
    assert scores.recall == {1: 0.25, 3: 0.5, 5: 0.5, 10: 0.75}
    # MRR = (1/1 + 1/3 + 1/6 + 0) / 4 = 0.375
    assert scores.mrr == pytest.approx(0.375)
    assert scores.n == 4


def test_every_expected_string_must_be_in_one_chunk() -> None:
    q = Question("q", ("alpha", "omega"), "a.md")
    split = [hit("a.md", "alpha here"), hit("a.md", "omega there", 1)]
    assert first_relevant_rank(split, q, ROOT) is None
    assert first_relevant_rank([hit("a.md", "Alpha … OMEGA")], q, ROOT) == 1


def test_kinds_and_languages() -> None:
    assert [
        kind_of(p) for p in ("r/a.PDF", "t.xlsx", "t.csv", "s/x.go", "m.py", "n.md", "z.txt")
    ] == [
        "pdf",
        "table",
        "table",
        "code",
        "code",
        "doc",
        "doc",
    ]
    assert language_of("哪个仓库的库存最多？") == "zh"
    assert language_of("which warehouse holds most?") == "en"


def test_question_file_errors_name_the_line() -> None:
    good = '{"question": "q", "answer_contains": "x", "file": "a.md", "style": "exact"}'
    (q,) = parse_questions([good, ""])
    assert q.answer_contains == ("x",) and q.style == "exact"
    with pytest.raises(UserError, match=r"qs.jsonl:2: 'answer_contains'"):
        parse_questions([good, '{"question": "q", "file": "a.md"}'], "qs.jsonl")
    with pytest.raises(UserError, match=r"qs.jsonl:1: not valid JSON"):
        parse_questions(["{nope"], "qs.jsonl")


@pytest.fixture
def tiny_corpus(docs: Path) -> Path:
    write(
        docs / "ops" / "runbook.md",
        (
            "# Runbook\n\n## Quota errors\n\n"
            "When the gateway returns ERR_QUOTA_7731 the tenant has used its monthly allowance.\n"
            "Raise it with `quota raise --tenant`.\n\n"
            "## Backups\n\nBackups run nightly at 02:15 UTC to the cold bucket.\n"
        ),
    )
    write(docs / "notes.txt", "The staging cluster is called heron-staging and has 12 nodes.\n")
    write(docs / "recipes.md", "# Soup\n\nSimmer the lentils for forty minutes with cumin.\n")
    return docs


def questions_file(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_tuirag_eval_end_to_end(
    tiny_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qs = questions_file(
        tmp_path,
        [
            {
                "question": "ERR_QUOTA_7731",
                "answer_contains": ["ERR_QUOTA_7731", "monthly allowance"],
                "file": "ops/runbook.md",
                "style": "exact",
            },
            {
                "question": "heron-staging nodes",
                "answer_contains": ["12 nodes"],
                "file": "notes.txt",
                "style": "exact",
            },
            {
                "question": "lentils",
                "answer_contains": ["saffron"],
                "file": "recipes.md",
            },  # not there
            {"question": "quarterly revenue", "answer_contains": ["revenue"], "file": "q3.pdf"},
        ],
    )
    code = main(
        ["eval", str(qs), "--corpus", str(tiny_corpus), "--modes", "fts", "hybrid", "--json"]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == 3 and report["chunks"] >= 3
    assert report["unindexed"] == ["q3.pdf"]
    rows = {(r["mode"], r["group"]): r for r in report["results"]}
    fts = rows[("fts", "all")]
    # the two identifier questions are found first; the other two cannot be found at all
    assert (fts["n"], fts["recall@1"], fts["recall@10"], fts["mrr"]) == (4, 0.5, 0.5, 0.5)
    assert rows[("hybrid", "style:exact")]["recall@5"] == 1.0
    assert rows[("fts", "kind:pdf")]["recall@10"] == 0.0
    ranks = {(q["mode"], q["file"]): q["rank"] for q in report["questions"]}
    assert ranks[("fts", "ops/runbook.md")] == 1 and ranks[("hybrid", "recipes.md")] is None
    # the user's own index was never created
    assert not (tmp_path / "data" / "index").exists()

    code = main(
        ["eval", str(qs), "--corpus", str(tiny_corpus), "--modes", "fts", "-k", "5", "--misses"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "R@5" in out and "R@10" not in out and "kind:doc" in out
    assert "not found: lentils" in out and "want recipes.md" in out


def test_eval_with_a_missing_corpus_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qs = questions_file(tmp_path, [{"question": "q", "answer_contains": ["x"], "file": "a.md"}])
    code = main(["eval", str(qs), "--corpus", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 2 and "corpus folder not found" in err and "Traceback" not in err


def test_public_eval_set_matches_its_corpus(tmp_path: Path) -> None:
    """Every question's expected strings are in the generated file it names."""
    import importlib.util

    script = Path(__file__).parents[2] / "bench" / "eval" / "make_corpus.py"
    spec = importlib.util.spec_from_file_location("make_corpus", script)
    assert spec and spec.loader
    make_corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_corpus)
    texts = make_corpus.generate(tmp_path / "corpus")
    assert make_corpus.check(texts) == []
    questions = parse_questions(make_corpus.QUESTIONS.read_text(encoding="utf-8").splitlines())
    assert len(questions) >= 50
    assert sum(q.lang == "zh" for q in questions) >= 10
    assert {q.kind for q in questions} == {"pdf", "table", "code", "doc"}
    assert {q.style for q in questions} == {"paraphrase", "exact", "table", "colloquial"}
    assert all((tmp_path / "corpus" / q.file).is_file() for q in questions)


def test_weighted_fusion_lets_bm25_outvote_the_vectors(services: Services) -> None:
    """search.bm25_weight (default 1.5, chosen from both eval sets) reaches the fusion."""
    dense = [hit("a.md", "vector favourite"), hit("b.md", "bm25 favourite", 1)]
    sparse = [hit("b.md", "bm25 favourite", 1), hit("a.md", "vector favourite")]
    sparse_first = [dense[1], *filler(3)]
    # equal weights: a chunk first in one ranking ties with one first in the other
    assert [h.path for h in rrf_fuse([dense[:1], sparse_first[:1]], 2)] == [
        "/corpus/a.md",
        "/corpus/b.md",
    ]
    fused = rrf_fuse([dense[:1], sparse_first[:1]], 2, weights=(1.0, 2.0))
    assert [h.path for h in fused] == ["/corpus/b.md", "/corpus/a.md"]
    assert fused[0].score == pytest.approx(2 / 61)
    assert rrf_fuse([dense, sparse], 1)[0].score == pytest.approx(1 / 61 + 1 / 62)
    assert services.settings.search.bm25_weight == 1.5
    assert services.retriever.bm25_weight == 1.5
    assert services.retriever.rrf_k == services.settings.search.rrf_k == 20
