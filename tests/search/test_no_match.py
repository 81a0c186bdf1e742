"""Every "nothing found" is true: empty index, index being built, folder not indexed, or a
real no-match, each with the command that fixes it; `tuirag ask` racing a first ingest in
another process waits for it and answers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.answer.test_answer import collect
from tests.helpers import write
from tests.ollama_server import OllamaServer
from tuirag.answer.events import Finished
from tuirag.answer.service import Answerer
from tuirag.search.no_match import index_state
from tuirag.services import Services

pytestmark = pytest.mark.timeout(180)

OFF_TOPIC = "Who won the 1998 football world cup final?"
BLENDER = "# Zephyr 3000 blender\n\nThe Zephyr 3000 blender is sold for 149 euros.\n"


async def answer(services: Services, question: str = OFF_TOPIC, **kwargs) -> str:
    finished = (await collect(Answerer(services, **kwargs), question))[-1]
    assert isinstance(finished, Finished)
    return finished.answer


async def test_an_empty_index_with_no_folder_says_how_to_add_one(services: Services) -> None:
    assert await answer(services) == (
        "The index is empty: no folder is indexed. Index one with `tuirag ingest FOLDER` "
        "(it is added to your folders)."
    )


async def test_an_empty_index_with_a_configured_folder_says_to_ingest_it(
    services: Services, docs: Path
) -> None:
    services.settings.index.folders = [str(docs)]
    assert await answer(services) == (
        f"The index is empty, though {docs} is configured: run `tuirag ingest` "
        "(or keep `tuirag watch` running)."
    )


async def test_a_no_match_names_a_configured_folder_with_nothing_indexed(
    services: Services, tmp_path: Path, docs: Path
) -> None:
    write(docs / "blender.md", BLENDER)
    services.indexer([docs]).sync([docs])
    other = tmp_path / "my notes"
    write(other / "a.md", "notes")
    services.settings.index.folders = [str(docs), str(other)]
    text = await answer(services)
    assert text.startswith("Your indexed documents do not seem to contain this: the closest")
    assert text.endswith(f"Nothing is indexed from {other}: run `tuirag ingest '{other}'`.")


async def test_a_no_match_while_indexing_says_how_far_it_is(services: Services, docs: Path) -> None:
    write(docs / "blender.md", BLENDER)
    services.indexer([docs]).sync([docs])
    services.settings.index.folders = [str(docs)]
    roots = services.roots()
    text = await answer(services, state=lambda: index_state(services.store, roots, (3, 10)))
    assert text.endswith(
        "Not everything is searchable yet: indexing is under way (3 of 10 files); "
        "ask again when it is done."
    )


async def test_an_empty_index_says_how_far_another_process_has_got(
    services: Services, docs: Path
) -> None:
    """The writer's summary (pid, phase, n of m) is what `ask` and `search` repeat."""
    from tuirag.backends.lock import WriterLock
    from tuirag.ingest import summary

    services.settings.index.folders = [str(docs)]
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # a live process named in the lock file and the summary, as a writer leaves them
        folder = services.store.folder
        WriterLock(folder).path.write_text(str(other.pid))
        running = summary.Progress(other.pid, "parsing", 12, 40, since=0.0)
        summary.write(folder, summary.Summary(progress=running))
        text = await answer(services)
    finally:
        other.kill()
        other.wait()
    assert text == (
        f"Nothing is searchable yet: another tuirag process (pid {other.pid}) is indexing "
        "(parsing 12 of 40 files). Ask again when it is done (`tuirag status` shows how far "
        "it is)."
    )


async def test_a_real_no_match_suggests_other_words(services: Services, docs: Path) -> None:
    write(docs / "blender.md", BLENDER)
    services.indexer([docs]).sync([docs])
    services.settings.index.folders = [str(docs)]
    assert (await answer(services)).endswith("Try other words or lower answer.min_score.")


def test_search_on_an_empty_index_says_why(docs: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tuirag", "search", "blender"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("The index is empty: no folder is indexed.")


WRITER = textwrap.dedent(
    """
    import sys
    from tuirag import config
    from tuirag.backends.lock import WriterLock
    from tuirag.services import Services

    services = Services(config.load())
    with WriterLock(services.store.folder):
        print("locked", flush=True)
        sys.stdin.readline()  # a slow first ingest: nothing committed until the test says go
        services.indexer().sync(services.roots())
    """
)


def test_ask_racing_a_first_ingest_in_another_process_waits_and_answers(
    docs: Path, tmp_path: Path, ollama_server: OllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(docs / "blender.md", BLENDER)
    config = write(tmp_path / "config.toml", f"[index]\nfolders = [{str(docs)!r}]\n")
    monkeypatch.setenv("TUIRAG_CONFIG", str(config))
    ollama_server.reply = "It is sold for 149 euros [1]."
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdin is not None and writer.stdout is not None
    try:
        assert writer.stdout.readline() == "locked\n"
        ask = subprocess.Popen(
            [sys.executable, "-m", "tuirag", "ask", "How much is the Zephyr 3000 blender?"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert ask.stderr is not None
        waiting = ask.stderr.readline()  # ask has seen the empty index and its writer
        writer.stdin.write("go\n")
        writer.stdin.flush()
        out, err = ask.communicate(timeout=150)
    finally:
        writer.stdin.close()
        assert writer.wait(timeout=150) == 0
    assert waiting == (
        f"waiting for the index: tuirag (pid {writer.pid}) is indexing it for the first time…\n"
    )
    assert ask.returncode == 0, err
    assert out.startswith("It is sold for 149 euros [1].")
    assert f"[1] {docs / 'blender.md'}" in out


IDLE_WATCHER = textwrap.dedent(
    """
    import sys
    from tuirag import config
    from tuirag.backends.lock import WriterLock
    from tuirag.ingest import watchstate
    from tuirag.services import Services

    services = Services(config.load())
    with WriterLock(services.store.folder):
        watchstate.write(services.store.folder, {})  # the app, open with no folder
        print("locked", flush=True)
        sys.stdin.readline()
    """
)


def test_ask_does_not_wait_for_a_watcher_with_nothing_to_index(
    docs: Path, ollama_server: OllamaServer
) -> None:
    watcher = subprocess.Popen(
        [sys.executable, "-c", IDLE_WATCHER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdin is not None and watcher.stdout is not None
    try:
        assert watcher.stdout.readline() == "locked\n"
        result = subprocess.run(
            [sys.executable, "-m", "tuirag", "ask", "How much is the blender?"],
            capture_output=True,
            text=True,
            timeout=150,
        )
    finally:
        watcher.stdin.close()
        watcher.wait(timeout=30)
    assert "waiting for the index" not in result.stderr
    assert result.stdout.startswith("The index is empty: no folder is indexed.")
