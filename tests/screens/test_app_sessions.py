"""Chat sessions on disk: save, list, search, resume, delete, export with footnotes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tuirag.sessions import SessionError, SessionStore, Turn, export_markdown
from tuirag.types import Hit


def _hit(path: str, start: int, end: int, score: float = 0.5) -> Hit:
    return Hit(
        path=path,
        text="passage",
        score=score,
        chunk_id=f"{path}{start}",
        start_line=start,
        end_line=end,
        vector_score=0.625,
    )


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    ticks = itertools.count(1_700_000_000, 60)
    return SessionStore(tmp_path / "sessions", now=lambda: float(next(ticks)))


def test_saved_session_resumes_with_sources_and_history(store: SessionStore) -> None:
    session = store.new()
    session.turns.append(Turn("How do I install it?", "Run make [1].", [_hit("/d/a.md", 3, 9)]))
    session.turns.append(Turn("And on Windows?", "", error="Ollama is not running"))
    store.save(session)

    again = store.load(session.id)
    assert again.title == "How do I install it?"
    assert again.turns[0].sources[0].locator == "L3-9"
    assert again.turns[0].sources[0].vector_score == 0.625
    assert again.turns[1].error == "Ollama is not running"
    # the failed turn is not sent as history with the next question
    assert [(t.question, t.answer) for t in again.history()] == [
        ("How do I install it?", "Run make [1].")
    ]


def test_list_is_most_recent_first_and_search_reads_answers(store: SessionStore) -> None:
    first, second = store.new(), store.new()
    first.turns.append(Turn("budget 2024", "The budget is 12 k€."))
    second.turns.append(Turn("holiday rota", "Alice is off in May."))
    store.save(first)
    store.save(second)

    assert [s.title for s in store.find()] == ["holiday rota", "budget 2024"]
    assert [s.title for s in store.find("ALICE")] == ["holiday rota"]
    assert store.find("nothing like this") == []


def test_empty_session_is_not_written_and_delete_removes(store: SessionStore) -> None:
    session = store.new()
    store.save(session)
    assert store.find() == []
    session.turns.append(Turn("q", "a"))
    store.save(session)
    store.delete(session.id)
    assert store.find() == []
    with pytest.raises(SessionError, match="no session"):
        store.load(session.id)


def test_corrupt_file_is_skipped_in_list_and_named_on_load(store: SessionStore) -> None:
    good = store.new()
    good.turns.append(Turn("q", "a"))
    store.save(good)
    (store.folder / "broken.json").write_text("{not json")
    assert [s.id for s in store.find()] == [good.id]
    with pytest.raises(SessionError, match=r"broken\.json"):
        store.load("broken")


def test_ids_cannot_escape_the_folder(store: SessionStore) -> None:
    with pytest.raises(SessionError):
        store.load("../../etc/passwd")


def test_export_turns_citations_into_shared_footnotes(store: SessionStore) -> None:
    session = store.new()
    a, b = _hit("/d/a.md", 3, 9), _hit("/d/b.pdf", 1, 1)
    session.turns.append(Turn("q1", "Install with make [1], then run [2].", [a, b]))
    session.turns.append(Turn("q2", "As said before [1, 2]; see also [7].", [b, a]))
    session.title = "Install notes"

    text = export_markdown(session)
    assert text.startswith("# Install notes\n")
    assert "Install with make [^1], then run [^2]." in text
    # the second answer's [1] is b.pdf: the same footnote as before, not a new one
    assert "As said before [^2][^1]; see also [7]." in text
    assert text.rstrip().endswith("[^1]: /d/a.md, L3-9\n[^2]: /d/b.pdf, L1")
