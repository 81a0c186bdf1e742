"""A running `tuirag watch` follows its config file: edits, a broken file, and SIGHUP."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests.app_helpers import wait_until as app_wait_until
from tests.helpers import write
from tests.ingest.test_watch_processes import Daemon
from tests.watch_helpers import fast_watch_settings, indexed_text, real_folder, wait_until
from tuirag import config, config_file
from tuirag.app import make_app
from tuirag.config import Settings
from tuirag.services import Services

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fast_watch_settings(tmp_path / "data")  # the same index as the daemon's


def configure(path: Path, *folders: Path, **chunking: int) -> None:
    """Write the config as the app does: every key, replaced atomically."""
    s = fast_watch_settings(path.parent / "data")
    s.index.data_dir = ""  # $TUIRAG_DATA_DIR names the same folder for both processes
    s.index.folders = [str(f) for f in folders]
    for key, value in chunking.items():
        setattr(s.chunking, key, value)
    config_file.write(path, s)


def top_hit(services: Services, query: str) -> str | None:
    """The best passage's file, as a search in this process sees the daemon's index."""
    services.store.refresh()
    hits = services.retriever.search(query, 1).hits
    return hits[0].path if hits else None


def indexed(services: Services) -> set[str]:
    services.store.refresh()
    return set(indexed_text(services.store))


def test_daemon_follows_folder_edits_and_keeps_working_through_a_broken_config(
    tmp_path: Path, services: Services
) -> None:
    pinned, alpha, beta = (real_folder(tmp_path, n) for n in ("pinned", "alpha", "beta"))
    write(pinned / "p.md", "# Orchard\n\nThe apple trees are pruned in February.\n")
    write(alpha / "a.md", "# Harbour\n\nThe ferry leaves the harbour at dawn.\n")
    write(beta / "b.md", "# Glacier\n\nThe glacier calves icebergs into the fjord.\n")
    path = tmp_path / "config.toml"
    configure(path, alpha, pinned)
    daemon = Daemon(path, pinned)  # pinned is also given on the command line
    try:
        daemon.wait_logged("up to date")
        assert indexed(services) == {str(pinned / "p.md"), str(alpha / "a.md")}

        # the app (a reader while the daemon writes) adds a folder to the config
        configure(path, alpha, pinned, beta)
        daemon.wait_logged("config reloaded", f"watching {beta}")
        daemon.wait_logged("indexed", str(beta / "b.md"))
        wait_until(
            lambda: top_hit(services, "icebergs calving into a fjord") == str(beta / "b.md"),
            what="the added folder's file to be searchable here",
        )
        write(beta / "b2.md", "# Volcano\n\nLava flows past the observatory.\n")
        daemon.wait_logged("indexed", str(beta / "b2.md"))  # watched, not just scanned

        # beta and pinned leave the config; pinned stays: the command line named it
        configure(path, alpha, max_tokens=128)
        daemon.wait_logged("config reloaded", f"no longer watching {beta}")
        daemon.wait_logged("restart tuirag watch to apply chunking.max_tokens")
        daemon.wait_logged("removed", str(beta / "b2.md"))
        wait_until(
            lambda: indexed(services) == {str(pinned / "p.md"), str(alpha / "a.md")},
            what="the removed folder's chunks to leave the index",
        )
        assert top_hit(services, "icebergs calving into a fjord") != str(beta / "b.md")
        assert not daemon.logged(f"no longer watching {pinned}")
        write(beta / "b3.md", "# Desert\n\nDunes drift east.\n")  # no longer watched

        # a broken config: one line, and the folders stay watched
        write(path, "[index\nfolders = [")
        daemon.wait_logged("config not applied", "not valid TOML")
        write(pinned / "p2.md", "# Meadow\n\nBees visit the clover.\n")
        write(alpha / "a2.md", "# Quay\n\nNets dry on the quay.\n")
        daemon.wait_logged("indexed", str(pinned / "p2.md"))
        daemon.wait_logged("indexed", str(alpha / "a2.md"))
        assert len(daemon.logged("config not applied")) == 1, daemon.lines
        assert not daemon.logged("Traceback")
        assert not daemon.logged(str(beta / "b3.md"))
        assert daemon.proc.poll() is None
    finally:
        daemon.stop()


def test_sighup_rereads_a_config_whose_change_a_stat_cannot_see(
    tmp_path: Path, services: Services
) -> None:
    alpha, gamma = real_folder(tmp_path, "alpha"), real_folder(tmp_path, "gamma")
    write(alpha / "a.md", "# Harbour\n\nThe ferry leaves the harbour at dawn.\n")
    write(gamma / "g.md", "# Comet\n\nThe comet's tail points away from the sun.\n")
    path = tmp_path / "config.toml"
    text = f'[watch]\ndebounce_ms = 150\nreconcile_minutes = 0\n[index]\nfolders = ["{alpha}"]\n'
    write(path, text)
    daemon = Daemon(path, alpha)
    try:
        daemon.wait_logged("up to date")
        # the same length, written in place with the old mtime put back: only SIGHUP tells
        st = path.stat()
        with path.open("r+") as f:
            f.write(text.replace(str(alpha), str(gamma)))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert config.load(path).index.folders == [str(gamma)]
        time.sleep(1.5)  # more than one stat check: the daemon must not have noticed
        assert not daemon.logged("config reloaded")

        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_logged("config reloaded", f"watching {gamma}")
        daemon.wait_logged("indexed", str(gamma / "g.md"))
        wait_until(
            lambda: top_hit(services, "which way does a comet's tail point") == str(gamma / "g.md"),
            what="the folder added on SIGHUP to be searchable here",
        )
        assert not daemon.logged(f"no longer watching {alpha}")  # given on the command line
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.proc.wait(30) == 0
    finally:
        daemon.stop()


async def test_the_app_as_a_reader_saves_folders_and_the_daemon_applies_them(
    tmp_path: Path, embedder
) -> None:
    alpha, beta = real_folder(tmp_path, "alpha"), real_folder(tmp_path, "beta")
    write(alpha / "a.md", "# Harbour\n\nThe ferry leaves the harbour at dawn.\n")
    write(beta / "b.md", "# Glacier\n\nThe glacier calves icebergs into the fjord.\n")
    path = tmp_path / "config.toml"
    configure(path, alpha)
    daemon = Daemon(path, alpha)
    try:
        daemon.wait_logged("up to date")
        settings = config.load(path)  # the app's settings come from the daemon's file
        app = make_app(settings, Services(settings, embedder=embedder))
        pid = daemon.proc.pid
        async with app.run_test(size=(100, 30)) as pilot:

            async def wait(predicate: Callable[[], object], what: str, timeout: float = 60) -> None:
                await app_wait_until(pilot, predicate, timeout, what)

            def told(words: str) -> bool:
                return any(words in str(n.message) for n in app._notifications)

            await wait(lambda: app.background and app.background.writer_pid == pid, "a reader")
            await pilot.press("f3", "a")
            await wait(lambda: app.screen.query("#prompt-input"), "the prompt")
            app.screen.query_one("#prompt-input").value = str(beta)
            await pilot.press("enter")
            # saved and told at once: the app does not wait to become the writer
            await wait(
                lambda: told(f"the indexing process (pid {pid}) will pick it up"),
                "the notice",
                timeout=5,
            )
            assert config.load(path).index.folders == [str(alpha), str(beta)]
            await wait(lambda: daemon.logged("indexed", str(beta / "b.md")), "the daemon")
            await wait(lambda: app.status.index.startswith("2 files"), "the app to follow")

            folders = app.screen.query_one("#folders", DataTable)
            folders.move_cursor(row=1)
            await pilot.press("d")
            await wait(lambda: told(f"No longer watching {beta}"), "the notice", timeout=5)
            assert told(f"pid {pid}) will pick it up")
            await wait(lambda: daemon.logged("removed", str(beta / "b.md")), "the daemon")
            await wait(lambda: app.status.index.startswith("1 file "), "the app to follow")
            assert app.background is not None and app.background.writer_pid == pid
    finally:
        daemon.stop()
