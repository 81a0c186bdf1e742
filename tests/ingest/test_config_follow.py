"""What a running `tuirag watch` takes from a changed config file (no daemon here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import write
from tuirag import config, config_file
from tuirag.ingest.config_follow import ConfigFollower, diff


def with_folders(*folders: Path) -> config.Settings:
    s = config.Settings()
    s.index.folders = [str(f) for f in folders]
    return s


def test_added_and_removed_folders_resolved_command_line_ones_kept(tmp_path: Path) -> None:
    a, b, c, pinned = (tmp_path / n for n in ("a", "b", "c", "pinned"))
    for folder in (a, b, c, pinned):
        folder.mkdir()
    link = tmp_path / "link-to-c"
    link.symlink_to(c)
    old = with_folders(a, b, pinned)
    new = with_folders(a, link, c)  # link and c are one folder; pinned leaves the config

    change = diff(old, new, pinned=[pinned])

    assert change.add == [c.resolve()]
    assert change.remove == [b.resolve()]  # pinned stays: the command line named it
    assert change.restart == []
    assert not diff(new, with_folders(c, a), pinned=[pinned])  # order alone is no change
    assert diff(old, with_folders(a, b, pinned, pinned)).add == []  # nor a duplicate


def test_start_up_settings_need_a_restart_and_the_app_only_settings_do_not() -> None:
    old, new = config.Settings(), config.Settings()
    new.embedder.model = "BAAI/bge-small-en-v1.5"
    new.chunking.max_tokens = 128
    new.index.ignore = ["*.csv"]
    new.plugins = {"pdf": {"enabled": False}}
    new.search.top_k = 9  # read per query by search and the app, never by the daemon
    new.ollama.model = "qwen2.5:3b"  # the chat model: nothing the daemon uses
    new.ui.theme = "textual-light"

    assert diff(old, new).restart == [
        "index.ignore",
        "embedder.model",
        "chunking.max_tokens",
        "plugins.pdf",
    ]
    new.embedder.backend = "ollama"  # now the Ollama settings feed the embedder
    assert diff(old, new).restart == [
        "index.ignore",
        "embedder.backend",
        "embedder.model",
        "chunking.max_tokens",
        "plugins.pdf",
        "ollama.model",
    ]


def test_follower_reads_only_a_changed_file_and_keeps_settings_when_it_is_broken(
    tmp_path: Path,
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    path = tmp_path / "config.toml"
    config_file.write(path, with_folders(a))
    follower = ConfigFollower(path, config.load(path))
    assert follower.check() is None  # unchanged: not even read

    config_file.write(path, with_folders(a, b))  # as the app writes it: atomic replace
    change = follower.check()
    assert change is not None and change.add == [b.resolve()] and change.remove == []
    assert follower.check() is None

    write(path, "[index\nfolders = [")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        follower.check()
    assert follower.check() is None  # the same broken file is reported once
    assert follower.settings.index.folders == [str(a), str(b)]  # still in force

    write(path, '[chunking]\nmax_tokens = 100\n[index]\nfolders = ["' + str(b) + '"]\n')
    change = follower.check()
    assert change is not None
    assert change.remove == [a.resolve()] and change.restart == ["chunking.max_tokens"]
    config_file.write(path, with_folders(b))
    change = follower.check()
    assert change is not None and not change  # the chunking edit was undone before a restart


def test_force_rereads_an_unchanged_stamp_and_a_deleted_file_keeps_settings(
    tmp_path: Path,
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    path = tmp_path / "config.toml"
    # the same length, written in place, mtime put back: a stat cannot tell them apart
    write(path, f'[index]\nfolders = ["{a}"]\n')
    follower = ConfigFollower(path, config.load(path))
    st = path.stat()
    with path.open("r+") as f:
        f.write(f'[index]\nfolders = ["{b}"]\n')
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert follower.check() is None
    change = follower.check(force=True)  # SIGHUP
    assert change is not None and change.add == [b.resolve()] and change.remove == [a.resolve()]

    path.unlink()
    with pytest.raises(config.ConfigError, match="config file is gone"):
        follower.check()
    assert follower.settings.index.folders == [str(b)]
