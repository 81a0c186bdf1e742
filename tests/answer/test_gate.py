"""The model gets what retrieval ranked: a passage is left out only when both its cosine and
its words say it is unrelated, and `ask` says which passages it left out and which it cited."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.answer.test_answer import collect
from tests.helpers import write
from tests.ollama_server import OllamaServer
from tuirag.answer.events import Finished, Retrieved
from tuirag.answer.gate import gate, keyword_match
from tuirag.answer.service import Answerer
from tuirag.services import Services
from tuirag.types import Hit

pytestmark = pytest.mark.timeout(120)

_CODENAMES = (
    "Warty Warthog, Hoary Hedgehog, Breezy Badger, Dapper Drake, Edgy Eft, Feisty Fawn, "
    "Gutsy Gibbon, Hardy Heron, Intrepid Ibex, Jaunty Jackalope, Karmic Koala, Lucid Lynx, "
    "Maverick Meerkat, Natty Narwhal, Oneiric Ocelot, Precise Pangolin, Quantal Quetzal, "
    "Raring Ringtail, Saucy Salamander, Trusty Tahr, Utopic Unicorn, Vivid Vervet, "
    "Wily Werewolf, Xenial Xerus, Yakkety Yak, Zesty Zapus, Artful Aardvark, Bionic Beaver, "
    "Cosmic Cuttlefish, Disco Dingo, Eoan Ermine, Focal Fossa, Groovy Gorilla, Hirsute Hippo, "
    "Impish Indri, Jammy Jellyfish, Kinetic Kudu, Lunar Lobster, Mantic Minotaur, Noble Numbat"
)
CODENAMES = _CODENAMES.split(", ")


def releases_csv() -> str:
    """Ubuntu's releases in the layout of distro-info's ubuntu.csv (dates made regular)."""
    lines = ["version,codename,series,created,release,eol"]
    created = "2004-03-05"
    for i, name in enumerate(CODENAMES):
        year, month = 4 + (i + 1) // 2, ("10" if i % 2 == 0 else "04")
        lts = " LTS" if month == "04" and year % 2 == 0 else ""
        day = 20 + i % 8
        release = f"20{year:02d}-{month}-{day}"
        eol = f"20{year + (5 if lts else 1):02d}-{month}-{day}"
        lines.append(
            f"{year}.{month}{lts},{name},{name.split()[0].lower()},{created},{release},{eol}"
        )
        created = release
    return "\n".join(lines) + "\n"


@pytest.fixture
def releases(services: Services, docs: Path) -> Services:
    write(docs / "ubuntu.csv", releases_csv())
    services.settings.index.folders = [str(docs)]
    assert not services.indexer([docs]).sync([docs]).failed
    return services


QUESTION = "When was Ubuntu 20.04 released?"


def test_hybrid_ranks_the_row_first_though_its_cosine_is_below_min_score(
    releases: Services,
) -> None:
    """The premise of the table test below: a cosine cut alone would drop the right row."""
    hits = releases.retriever.search(QUESTION, releases.settings.answer.top_k).hits
    assert "| 20.04 LTS | Focal Fossa |" in hits[0].text
    assert hits[0].vector_score is not None
    assert hits[0].vector_score < releases.settings.answer.min_score


async def test_a_table_row_ranked_by_its_words_reaches_the_model(
    releases: Services, ollama_server: OllamaServer
) -> None:
    ollama_server.reply = "Ubuntu 20.04 LTS was released on 2020-04-27 [1]."
    retrieved, *_, finished = await collect(Answerer(releases), QUESTION)
    assert isinstance(retrieved, Retrieved) and retrieved.relevant
    assert isinstance(finished, Finished) and finished.answer == ollama_server.reply
    prompt = ollama_server.chats()[-1]["messages"][-1]["content"]
    assert "| 20.04 LTS | Focal Fossa | focal | 2019-10-26 | 2020-04-27 |" in prompt
    # rows sharing only "released" with the question stay out, and are reported
    assert retrieved.left_out
    assert all("20.04" not in h.text for h in retrieved.left_out)


def test_ask_lists_cited_sources_first_and_says_what_it_left_out(
    releases: Services, ollama_server: OllamaServer
) -> None:
    ollama_server.reply = "It was released on 2020-04-27 [1]."
    proc = subprocess.run(
        [sys.executable, "-m", "tuirag", "ask", QUESTION], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "retrieved passage(s) not given to the model" in proc.stderr
    out = proc.stdout.split("Sources:")[1].strip().splitlines()
    assert out[0].startswith("[1] ") and "(not cited)" not in out[0]
    assert all("(not cited)" in line for line in out[1:])

    proc = subprocess.run(
        [sys.executable, "-m", "tuirag", "ask", QUESTION, "--json", "--no-cache"],
        capture_output=True,
        text=True,
    )
    data = json.loads(proc.stdout)
    assert data["cited"] == [1] and data["left_out"]


async def test_an_off_topic_question_still_skips_the_model(
    releases: Services, ollama_server: OllamaServer
) -> None:
    retrieved, finished = await collect(Answerer(releases), "Who painted the Mona Lisa?")
    assert isinstance(retrieved, Retrieved) and not retrieved.relevant
    assert isinstance(finished, Finished)
    assert finished.answer.startswith("Your indexed documents do not seem to contain this")
    assert [c for c in ollama_server.chats() if c["messages"]] == []


def _hit(text: str, cosine: float) -> Hit:
    return Hit(path="/d/a.md", text=text, score=0.1, chunk_id=text, vector_score=cosine)


def test_the_gate_keeps_a_passage_strong_on_either_signal() -> None:
    hits = [
        _hit("| 20.04 LTS | Focal Fossa | 2020-04-23 | release |", 0.25),  # words
        _hit("Tomatoes need water.", 0.45),  # cosine
        _hit("| 22.04 LTS | Jammy Jellyfish | release |", 0.2),  # neither: 1 word of 3
    ]
    gated = gate(QUESTION, hits, min_score=0.3)
    assert [h.chunk_id for h in gated.kept] == [hits[0].chunk_id, hits[1].chunk_id]
    assert gated.left_out == [hits[2]]


def test_keyword_match_ignores_question_words_and_compares_stems() -> None:
    assert keyword_match("When were the night trains released?", "Night train release dates")
    assert not keyword_match("What is it and how does it work?", "What is it, and how?")
    assert not keyword_match("Who painted the Mona Lisa?", "The painter of the garden shed")
