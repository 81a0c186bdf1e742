"""Chat sessions on disk: one JSON file per session in the data dir.

A pure service (no Textual): the app saves after every answer, lists, searches,
resumes and deletes sessions, and exports one to Markdown with each cited source
as a footnote. Files are written atomically; an unreadable file is skipped when
listing instead of hiding every other session.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuirag.answer.citations import CITATION
from tuirag.types import Hit

FORMAT = 1
_HIT_FIELDS = (
    "path",
    "text",
    "score",
    "chunk_id",
    "kind",
    "page",
    "start_line",
    "end_line",
    "heading",
    "vector_score",
)


class SessionError(Exception):
    """A session file is missing or unreadable; the message names it."""


@dataclass
class Turn:
    """One question of a conversation with its answer: shown, saved, and sent as history."""

    question: str
    answer: str = ""
    sources: list[Hit] = field(default_factory=list)
    asked_at: float = 0.0
    error: str = ""  # why the answer is missing or partial
    timings: dict[str, Any] = field(default_factory=dict)
    left_out: list[Hit] = field(default_factory=list)  # retrieved, unrelated: not sent

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "sources": [_source(hit) for hit in self.sources],
            "asked_at": self.asked_at,
            "error": self.error,
            "timings": self.timings,
            "left_out": [_source(hit) for hit in self.left_out],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        def hits(key: str) -> list[Hit]:
            return [
                Hit(**{k: v for k, v in src.items() if k in _HIT_FIELDS})
                for src in data.get(key, [])
            ]

        return cls(
            question=data["question"],
            answer=data.get("answer", ""),
            sources=hits("sources"),
            asked_at=data.get("asked_at", 0.0),
            error=data.get("error", ""),
            timings=data.get("timings", {}),
            left_out=hits("left_out"),
        )


@dataclass
class Session:
    id: str
    created: float
    updated: float
    title: str = ""
    turns: list[Turn] = field(default_factory=list)

    def history(self, before: Turn | None = None) -> list[Turn]:
        """Answered turns, oldest first, that came before `before`: an answer's context."""
        turns = self.turns[: self.turns.index(before)] if before in self.turns else self.turns
        return [t for t in turns if t.answer and not t.error]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "title": self.title,
            "created": self.created,
            "updated": self.updated,
            "turns": [t.to_json() for t in self.turns],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        return cls(
            id=data["id"],
            created=data["created"],
            updated=data["updated"],
            title=data.get("title", ""),
            turns=[Turn.from_json(t) for t in data.get("turns", [])],
        )


@dataclass(frozen=True, slots=True)
class Summary:
    """What the sessions list shows without keeping every answer in memory."""

    id: str
    title: str
    updated: float
    turns: int


class SessionStore:
    def __init__(self, folder: Path, now: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self.now = now

    def new(self) -> Session:
        stamp = self.now()
        ident = time.strftime("%Y%m%d-%H%M%S", time.gmtime(stamp)) + "-" + uuid.uuid4().hex[:6]
        return Session(id=ident, created=stamp, updated=stamp)

    def _file(self, session_id: str) -> Path:
        if not re.fullmatch(r"[\w-]+", session_id):
            raise SessionError(f"not a session id: {session_id!r}")
        return self.folder / f"{session_id}.json"

    def save(self, session: Session) -> None:
        """Write atomically; an empty session is not worth a file."""
        if not session.turns:
            return
        session.updated = self.now()
        if not session.title:
            session.title = title_for(session.turns[0].question)
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._file(session.id)
        tmp = target.with_suffix(".json.tmp")
        text = json.dumps(session.to_json(), ensure_ascii=False, indent=1)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)

    def load(self, session_id: str) -> Session:
        path = self._file(session_id)
        try:
            return Session.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise SessionError(f"no session {session_id} in {self.folder}") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SessionError(f"{path}: unreadable session ({exc}); delete the file") from None

    def delete(self, session_id: str) -> None:
        self._file(session_id).unlink(missing_ok=True)

    def find(self, query: str = "") -> list[Summary]:
        """Sessions, most recent first; with `query`, only those whose text contains it."""
        needle = query.strip().lower()
        found = []
        for path in self.folder.glob("*.json") if self.folder.exists() else ():
            try:
                session = Session.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if needle and needle not in _searchable(session):
                continue
            found.append(Summary(session.id, session.title, session.updated, len(session.turns)))
        return sorted(found, key=lambda s: (s.updated, s.id), reverse=True)


def _source(hit: Hit) -> dict[str, Any]:
    data = hit.to_json()
    if hit.vector_score is not None:  # the similarity the sources panel shows
        data["vector_score"] = round(hit.vector_score, 6)
    return data


def title_for(question: str, width: int = 60) -> str:
    line = " ".join(question.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def _searchable(session: Session) -> str:
    parts = [session.title]
    for turn in session.turns:
        parts += [turn.question, turn.answer]
    return "\n".join(parts).lower()


def export_markdown(session: Session) -> str:
    """The conversation as Markdown; each turn's [n] becomes a footnote naming the source.

    Footnotes are numbered across the whole session and shared when two answers cite
    the same passage, so the list at the end has one line per distinct source.
    """
    notes: dict[tuple[str, str], int] = {}
    lines = [f"# {session.title or 'tuirag session'}", ""]
    for turn in session.turns:
        lines += [f"## {turn.question}", ""]

        def footnote(match: re.Match[str], sources: list[Hit] = turn.sources) -> str:
            refs = []
            for number in (int(n) for n in match.group(1).split(",")):
                if not 1 <= number <= len(sources):
                    return match.group(0)  # not a citation of ours: leave it
                hit = sources[number - 1]
                key = (hit.path, hit.locator)
                refs.append(f"[^{notes.setdefault(key, len(notes) + 1)}]")
            return "".join(refs)

        answer = CITATION.sub(footnote, turn.answer) if turn.answer else ""
        if answer:
            lines += [answer.rstrip(), ""]
        if turn.error:
            lines += [f"> {turn.error}", ""]
    if notes:
        lines.append("---")
        lines.append("")
        for (path, locator), number in notes.items():
            lines.append(f"[^{number}]: {path}" + (f", {locator}" if locator else ""))
        lines.append("")
    return "\n".join(lines)


def export_file(session: Session, folder: Path) -> Path:
    """Write `session` as Markdown into `folder`, named after its title; the file written."""
    name = re.sub(r"[^\w-]+", "-", session.title.lower()).strip("-")[:40] or "session"
    target = folder / f"tuirag-{name}.md"
    try:
        target.write_text(export_markdown(session), encoding="utf-8")
    except OSError as exc:
        raise SessionError(f"cannot write {target}: {exc.strerror}") from None
    return target
