"""Retrieval quality: does the right passage come back, and how high?

A question names the file its answer lives in (relative to the corpus root) and
strings a correct passage must contain. A retrieved chunk is relevant when it comes
from that file and contains every string (in its text or its heading path).
Matching ignores case and whitespace, because PDF and spreadsheet extraction
re-flow lines and spaces ("5 GHz" may come out as "5GHz"); it never ignores the file.

The harness indexes the corpus into a throw-away index (the user's index is never
touched; their model cache is reused), asks every question in every mode, and
scores recall@k and MRR overall and per kind, language and question style.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuirag.config import Settings
from tuirag.errors import UserError
from tuirag.paths import absolute
from tuirag.types import Hit

KS = (1, 3, 5, 10)
_TABLE_EXT = {".csv", ".tsv", ".tab", ".xlsx", ".xlsm", ".xls", ".ods"}
_CODE_EXT = {
    ".py",
    ".go",
    ".js",
    ".mjs",
    ".ts",
    ".tsx",
    ".jsx",
    ".rs",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".hpp",
    ".java",
    ".kt",
    ".rb",
    ".sh",
    ".bash",
    ".cs",
    ".swift",
    ".php",
}
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SPACE = re.compile(r"\s+")

if TYPE_CHECKING:  # importing these at run time loads LanceDB and fastembed
    from tuirag.backends.embedder import Embedder
    from tuirag.ingest.pipeline import IngestReport
    from tuirag.search.retrieval import Retriever
    from tuirag.services import Services


def kind_of(path: str) -> str:
    """pdf, table, code or doc, from the file's extension."""
    ext = Path(path).suffix.lower()
    if ext == ".pdf":
        return "pdf"
    if ext in _TABLE_EXT:
        return "table"
    return "code" if ext in _CODE_EXT else "doc"


def language_of(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def squash(text: str) -> str:
    """Case- and whitespace-blind form used for matching expected strings."""
    return _SPACE.sub("", text).casefold()


@dataclass(frozen=True, slots=True)
class Question:
    question: str
    answer_contains: tuple[str, ...]
    file: str  # relative to the corpus root, with "/" separators
    style: str = ""

    @property
    def kind(self) -> str:
        return kind_of(self.file)

    @property
    def lang(self) -> str:
        return language_of(self.question)


def parse_questions(lines: Iterable[str], source: str = "<questions>") -> list[Question]:
    """One JSON object per line: question, answer_contains (list or string), file[, style]."""
    questions = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{source}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}: not valid JSON: {exc.msg}", 2) from None
        if not isinstance(obj, dict):
            raise UserError(f"{where}: expected a JSON object", 2)
        wanted = obj.get("answer_contains")
        if isinstance(wanted, str):
            wanted = [wanted]
        text, file = obj.get("question"), obj.get("file")
        if not isinstance(text, str) or not text.strip():
            raise UserError(f"{where}: 'question' must be a non-empty string", 2)
        if not isinstance(file, str) or not file.strip():
            raise UserError(f"{where}: 'file' must name the file holding the answer", 2)
        if (
            not isinstance(wanted, list)
            or not wanted
            or not all(isinstance(w, str) and w.strip() for w in wanted)
        ):
            raise UserError(f"{where}: 'answer_contains' must be a non-empty list of strings", 2)
        style = obj.get("style", "")
        style = style if isinstance(style, str) else ""
        questions.append(Question(text, tuple(wanted), Path(file).as_posix(), style))
    return questions


def load_questions(path: Path) -> list[Question]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read questions file {path}: {exc}", 2) from None
    questions = parse_questions(lines, str(path))
    if not questions:
        raise UserError(f"{path}: no questions in it (one JSON object per line)", 2)
    return questions


def relevant(hit: Hit, question: Question, root: Path) -> bool:
    """From the expected file, and containing every expected string.

    The chunk's heading path counts as part of it: it is stored with the chunk,
    searched, embedded and given to the model with the passage ("shared_buffers
    (integer)" heads the paragraph that says its default is 128MB).
    """
    if os.path.normpath(hit.path) != os.path.normpath(os.path.join(root, question.file)):
        return False
    text = squash(f"{hit.heading}\n{hit.text}")
    return all(squash(s) in text for s in question.answer_contains)


def first_relevant_rank(hits: Sequence[Hit], question: Question, root: Path) -> int | None:
    """1-based rank of the first relevant hit, or None if none was retrieved."""
    for rank, hit in enumerate(hits, 1):
        if relevant(hit, question, root):
            return rank
    return None


@dataclass(frozen=True, slots=True)
class Scores:
    n: int
    recall: dict[int, float]  # k -> fraction of questions with a relevant hit in the top k
    mrr: float  # mean of 1/rank of the first relevant hit (0 when none within the depth)


def score(ranks: Sequence[int | None], ks: Sequence[int] = KS) -> Scores:
    n = len(ranks)
    if not n:
        return Scores(0, {k: 0.0 for k in ks}, 0.0)
    recall = {k: sum(1 for r in ranks if r is not None and r <= k) / n for k in ks}
    mrr = sum(1.0 / r for r in ranks if r is not None) / n
    return Scores(n, recall, mrr)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One question asked in one mode."""

    question: Question
    mode: str
    rank: int | None
    millis: float
    top_path: str = ""  # the best hit's file, to see what won instead


@dataclass
class Row:
    mode: str
    group: str  # "all", "kind:pdf", "lang:zh", "style:table"
    scores: Scores
    p50_ms: float


@dataclass
class EvalReport:
    outcomes: list[Outcome]
    modes: list[str]
    depth: int
    chunks: int = 0
    files: int = 0
    ingest_seconds: float = 0.0
    unindexed: list[str] = field(default_factory=list)  # expected files with no chunks
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def ks(self) -> tuple[int, ...]:
        return tuple(k for k in KS if k <= self.depth)

    def rows(self) -> list[Row]:
        """Scores per mode: overall, then per kind, language and style present."""
        rows = []
        for mode in self.modes:
            mine = [o for o in self.outcomes if o.mode == mode]
            groups: dict[str, list[Outcome]] = {"all": mine}
            for attr in ("kind", "lang", "style"):
                for value in sorted({getattr(o.question, attr) for o in mine} - {""}):
                    groups[f"{attr}:{value}"] = [
                        o for o in mine if getattr(o.question, attr) == value
                    ]
            for group, outcomes in groups.items():
                p50 = statistics.median(o.millis for o in outcomes) if outcomes else 0.0
                rows.append(Row(mode, group, score([o.rank for o in outcomes], self.ks), p50))
        return rows

    def misses(self, k: int = 5) -> list[Outcome]:
        return [o for o in self.outcomes if o.rank is None or o.rank > k]

    def to_json(self) -> dict[str, Any]:
        return {
            "chunks": self.chunks,
            "files": self.files,
            "ingest_seconds": round(self.ingest_seconds, 2),
            "depth": self.depth,
            "settings": self.settings,
            "unindexed": self.unindexed,
            "results": [
                {
                    "mode": r.mode,
                    "group": r.group,
                    "n": r.scores.n,
                    **{f"recall@{k}": round(v, 4) for k, v in r.scores.recall.items()},
                    "mrr": round(r.scores.mrr, 4),
                    "p50_ms": round(r.p50_ms, 1),
                }
                for r in self.rows()
            ],
            "questions": [
                {
                    "question": o.question.question,
                    "file": o.question.file,
                    "kind": o.question.kind,
                    "style": o.question.style,
                    "mode": o.mode,
                    "rank": o.rank,
                    "ms": round(o.millis, 1),
                    "top_path": o.top_path,
                }
                for o in self.outcomes
            ],
        }


def ask_all(
    retriever: Retriever,
    questions: Sequence[Question],
    root: Path,
    modes: Sequence[str],
    depth: int = 10,
    progress: Callable[[int, int], None] | None = None,
) -> list[Outcome]:
    """Every question in every mode against an existing index."""
    root = absolute(root)
    outcomes = []
    total = len(questions) * len(modes)
    for mode in modes:
        for q in questions:
            result = retriever.search(q.question, depth, mode)
            top = _relative(result.hits[0].path, root) if result.hits else ""
            rank = first_relevant_rank(result.hits, q, root)
            outcomes.append(Outcome(q, mode, rank, result.millis, top))
            if progress:
                progress(len(outcomes), total)
    return outcomes


def _relative(path: str, root: Path) -> str:
    p = Path(path)
    return p.relative_to(root).as_posix() if p.is_relative_to(root) else path


@contextmanager
def temp_services(settings: Settings, embedder: Embedder | None = None) -> Iterator[Services]:
    """Services whose index lives in a throw-away folder, removed on exit.

    Only the store is redirected: the embedder keeps the user's model cache, so a
    downloaded model is not fetched again.
    """
    from tuirag.backends.store import Store
    from tuirag.services import Services

    with tempfile.TemporaryDirectory(prefix="tuirag-eval-") as tmp:
        svc = Services(settings, embedder)
        emb = svc.embedder
        # cached_property slot: the composition root's own injection idiom (see Services)
        svc.__dict__["store"] = Store(Path(tmp) / "index" / emb.key, emb.key, emb.dim)
        yield svc


@contextmanager
def temp_index(
    settings: Settings, corpus: Path, embedder: Embedder | None = None
) -> Iterator[tuple[Services, IngestReport]]:
    """Index `corpus` into a throw-away index; yields the services and the ingest report."""
    corpus = absolute(corpus)
    if not corpus.is_dir():
        raise UserError(f"corpus folder not found: {corpus}", 2)
    with temp_services(settings, embedder) as svc:
        yield svc, svc.indexer(extra_roots=[corpus]).sync([corpus])


def evaluate(
    settings: Settings,
    corpus: Path,
    questions: Sequence[Question],
    modes: Sequence[str],
    depth: int = 10,
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Index the corpus into a temporary index, ask every question, score the answers."""
    corpus = absolute(corpus)
    with temp_index(settings, corpus, embedder) as (svc, ingest):
        outcomes = ask_all(svc.retriever, questions, corpus, modes, depth, progress)
        indexed = {
            _relative(o.path, corpus) for o in ingest.outcomes if o.status == "indexed" and o.chunks
        }
        return EvalReport(
            outcomes=outcomes,
            modes=list(modes),
            depth=depth,
            chunks=svc.store.count(),
            files=len(indexed),
            ingest_seconds=ingest.seconds,
            unindexed=sorted({q.file for q in questions} - indexed),
            settings={
                "embedder": svc.embedder.label,
                "max_tokens": min(settings.chunking.max_tokens, svc.embedder.max_tokens),
                "overlap_tokens": settings.chunking.overlap_tokens,
                "rrf_k": settings.search.rrf_k,
            },
        )
