"""Indexing end to end on real files, the real embedder and real LanceDB."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import write
from tuirag.backends.store import Store, StoreError
from tuirag.cli.main import main
from tuirag.services import Services

ROUTER = """# XR-5000 router

## Wireless

The XR-5000 supports the 2.4 GHz and 5 GHz wifi bands, with WPA3 encryption.

## Power

It uses a 12 V, 2 A power adapter. Consumption is 9 W when idle.
"""

PETS = "Cats sleep up to sixteen hours a day.\nDogs need a walk twice a day.\n"


def _rows(store: Store) -> list[dict]:
    return store.rows(["path", "ordinal", "text", "chunk_id"])


def test_ingest_then_search_finds_the_passage(services: Services, docs: Path) -> None:
    write(docs / "router.md", ROUTER)
    write(docs / "pets.txt", PETS)
    report = services.indexer([docs]).sync([docs])
    assert report.count("indexed") == 2 and report.count("failed") == 0
    result = services.retriever.search("which wifi bands are supported", k=3)
    top = result.hits[0]
    assert top.path == str(docs / "router.md")
    assert "5 GHz" in top.text
    assert (top.start_line, top.end_line) == (3, 5)
    assert top.heading == "XR-5000 router > Wireless"


def test_second_run_embeds_nothing_and_edits_replace_only_their_chunks(
    services: Services, docs: Path
) -> None:
    router = write(docs / "router.md", ROUTER)
    write(docs / "pets.txt", PETS)
    indexer = services.indexer([docs])
    indexer.sync([docs])
    before = _rows(services.store)
    again = indexer.sync([docs])
    assert again.count("unchanged") == 2 and again.embedded == 0
    assert _rows(services.store) == before

    router.write_text(ROUTER.replace("12 V, 2 A", "19 V, 3.4 A"))
    changed = indexer.sync([docs])
    assert [o.path for o in changed.outcomes if o.status == "indexed"] == [str(router)]
    assert changed.embedded == 1  # only the edited section needed a new vector
    after = _rows(services.store)
    assert [r for r in after if r["path"].endswith("pets.txt")] == [
        r for r in before if r["path"].endswith("pets.txt")
    ]
    texts = " ".join(r["text"] for r in after)
    assert "19 V" in texts and "12 V" not in texts
    assert len({(r["path"], r["ordinal"]) for r in after}) == len(after)


def test_touch_without_change_embeds_nothing(services: Services, docs: Path) -> None:
    path = write(docs / "router.md", ROUTER)
    indexer = services.indexer([docs])
    indexer.sync([docs])
    os.utime(path, ns=(1, 1_700_000_000_000_000_000))
    report = indexer.sync([docs])
    assert report.count("unchanged") == 1 and report.embedded == 0
    # the record learns the new mtime, so the next run does not even hash the file
    assert services.store.file_records()[str(path)].mtime_ns == path.stat().st_mtime_ns


def test_deleted_file_chunks_are_removed(services: Services, docs: Path) -> None:
    write(docs / "router.md", ROUTER)
    pets = write(docs / "pets.txt", PETS)
    indexer = services.indexer([docs])
    indexer.sync([docs])
    pets.unlink()
    report = indexer.sync([docs])
    assert [o.path for o in report.outcomes if o.status == "removed"] == [str(pets)]
    assert {r["path"] for r in _rows(services.store)} == {str(docs / "router.md")}
    assert str(pets) not in services.store.file_records()


def test_rename_reuses_vectors(services: Services, docs: Path) -> None:
    write(docs / "router.md", ROUTER)
    indexer = services.indexer([docs])
    indexer.sync([docs])
    (docs / "router.md").rename(docs / "xr5000.md")
    report = indexer.sync([docs])
    assert report.count("removed") == 1 and report.count("indexed") == 1
    assert report.embedded == 0


def test_hybrid_beats_vector_on_an_exact_identifier(services: Services, docs: Path) -> None:
    """A made-up identifier means nothing to the embedding model; BM25 finds it."""
    for i, code in enumerate(
        ["QZX-7137", "QZX-1773", "QZX-7371", "QZX-3177", "QZX-7713", "QZX-1377"]
    ):
        write(
            docs / f"ticket{i}.md",
            f"# Ticket\n\nThe crash happens in handler {code} when the configuration reloads.\n",
        )
    write(
        docs / "ticket.md",
        "# Ticket\n\nThe crash happens in handler QZX-7731 when the configuration reloads.\n",
    )
    services.indexer([docs]).sync([docs])
    query = "QZX-7731"
    vector = services.retriever.search(query, k=3, mode="vector").hits
    hybrid = services.retriever.search(query, k=3, mode="hybrid").hits
    fts = services.retriever.search(query, k=3, mode="fts").hits
    assert fts[0].path.endswith("ticket.md")
    assert hybrid[0].path.endswith("ticket.md")
    rank = lambda hits: next((i for i, h in enumerate(hits) if h.path.endswith("ticket.md")), 99)  # noqa: E731
    assert rank(hybrid) < rank(vector)


def test_bad_files_are_reported_and_the_rest_indexed(
    services: Services, docs: Path, settings
) -> None:
    write(docs / "good.md", ROUTER)
    (docs / "empty.txt").write_bytes(b"")
    (docs / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (docs / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (docs / "huge.txt").write_text("x " * (600 * 1024))
    (docs / "leak.txt").write_text("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n")
    settings.index.max_file_mb = 1.0
    report = services.indexer([docs]).sync([docs])
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert by_name["good.md"].status == "indexed"
    assert by_name["empty.txt"].reason == "empty file"
    latin1 = by_name["latin1.txt"]  # read in its detected encoding, with a note
    assert latin1.status == "indexed" and latin1.reason.startswith("not UTF-8: read as ")
    assert "binary" in by_name["binary.txt"].reason
    assert by_name["image.png"].reason == "no plugin for this file type"
    assert "larger than the 1 MB limit" in by_name["huge.txt"].reason
    assert by_name["leak.txt"].reason == "secret: contains a private key"
    assert {r["path"] for r in _rows(services.store)} == {
        str(docs / "good.md"),
        str(docs / "latin1.txt"),
    }


def test_quote_in_a_path_cannot_widen_a_delete(services: Services, docs: Path) -> None:
    write(docs / "a' OR '1'='1.md", "# Evil\n\nname with quotes\n")
    write(docs / "b.md", ROUTER)
    indexer = services.indexer([docs])
    indexer.sync([docs])
    indexer.forget(docs / "a' OR '1'='1.md")
    assert {r["path"] for r in _rows(services.store)} == {str(docs / "b.md")}


def test_model_change_never_mixes_vectors(
    services: Services, docs: Path, settings, embedder
) -> None:
    write(docs / "router.md", ROUTER)
    services.indexer([docs]).sync([docs])
    first = services.store.folder
    # a different passage prefix changes every vector: it is another embedder
    settings.embedder.passage_prefix = "passage: "
    from tuirag.backends.embedder import make_embedder

    other = make_embedder(settings.embedder, settings.ollama, settings.data_dir / "models")
    assert other.key != embedder.key
    changed = Services(settings, embedder=other)
    assert changed.store.folder != first and changed.store.count() == 0
    report = changed.indexer([docs]).sync([docs])
    assert report.embedded == report.chunks > 0  # all re-embedded, none reused across models
    with pytest.raises(StoreError, match=r"holds .* vectors"):
        Store(first, other.key, other.dim)


def test_cli_ingest_search_status_forget(docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(docs / "router.md", ROUTER)
    write(docs / "pets.txt", PETS)
    (docs / ".env").write_text("TOKEN=1\n")
    assert main(["ingest", str(docs)]) == 0
    out = capsys.readouterr().out
    assert "2 indexed" in out and "1 secret" in out
    assert main(["ingest", str(docs)]) == 0
    assert "nothing changed, nothing re-embedded" in capsys.readouterr().out

    assert main(["search", "how long do cats sleep", "-k", "2", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["path"] == str(docs / "pets.txt")
    assert {"path", "text", "score", "chunk_id", "start_line", "end_line"} <= set(hits[0])

    assert main(["search", "wifi bands", "--mode", "fts"]) == 0
    shown = capsys.readouterr().out
    assert f"[1] {docs / 'router.md'}  L3-5" in shown

    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["files"] == 2 and status["chunks"] >= 3 and status["size_bytes"] > 0
    assert status["not_considered"] == {"secret: name matches a secret pattern": 1}

    assert main(["forget", str(docs / "pets.txt")]) == 0
    assert "removed 1 files" in capsys.readouterr().out
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"] == 1


def test_cli_exit_code_says_something_failed(
    docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(docs / "ok.md", ROUTER)
    (docs / "bad.txt").write_bytes(b"abc \x00\x81\x82 def")  # binary data with a text name
    assert main(["ingest", str(docs)]) == 1
    out = capsys.readouterr().out
    assert f"failed: {docs / 'bad.txt'}: binary data, not text" in out
    assert "1 indexed" in out


def test_cli_missing_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err.strip() == f"tuirag: no such file or folder: {tmp_path / 'nope'}"


def test_repeated_reingest_does_not_grow_without_bound(services: Services, docs: Path) -> None:
    from datetime import timedelta

    path = write(docs / "router.md", ROUTER)
    indexer = services.indexer([docs])
    sizes = []
    for i in range(6):
        path.write_text(ROUTER + f"\nRevision {i}.\n")
        indexer.sync([docs])
        services.store.optimize(retention=timedelta(0))
        sizes.append(services.store.disk_bytes())
    assert sizes[-1] < sizes[1] * 1.5, sizes


def test_chinese_query_uses_full_text_with_an_english_only_model(
    services: Services, docs: Path
) -> None:
    write(docs / "路由器.md", "# 路由器\n\nXR-5000 路由器支持 2.4 GHz 和 5 GHz 双频无线网络。\n")
    write(docs / "电源.md", "# 电源\n\n适配器输出 12 V 电压，待机功耗 9 W。\n")
    write(docs / "cats.md", "# Cats\n\nCats sleep up to sixteen hours a day.\n")
    services.indexer([docs]).sync([docs])
    result = services.retriever.search("路由器支持哪些无线频段", k=2)
    assert result.mode == "fts"
    assert "English-only" in result.notes[0]
    assert result.hits[0].path == str(docs / "路由器.md")
    english = services.retriever.search("how long do cats sleep", k=2)
    assert english.mode == "hybrid" and not english.notes


def test_prune_deletes_indexes_of_other_models(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(docs / "router.md", ROUTER)
    assert main(["ingest", "-q", str(docs)]) == 0
    assert main(["status", "--json"]) == 0
    old = json.loads(capsys.readouterr().out)["index"]
    other = tmp_path / "other-model.toml"
    other.write_text('[embedder]\npassage_prefix = "passage: "\n')
    assert main(["--config", str(other), "ingest", "-q", str(docs)]) == 0
    assert main(["--config", str(other), "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["other_indexes"] == [old]
    assert main(["--config", str(other), "prune"]) == 0
    assert capsys.readouterr().out.startswith(f"would delete {old} (")
    assert Path(old).exists()
    assert main(["--config", str(other), "prune", "--yes"]) == 0
    assert capsys.readouterr().out.startswith(f"deleted {old} (")
    assert not Path(old).exists()
    assert main(["--config", str(other), "search", "wifi bands", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["path"] == str(docs / "router.md")
