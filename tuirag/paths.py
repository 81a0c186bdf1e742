"""Where tuirag keeps its config and data, with the environment overrides."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import platformdirs

APP = "tuirag"


def config_file(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to read: --config, then $TUIRAG_CONFIG, then the user config dir."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("TUIRAG_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def within(path: Path, roots: Iterable[Path]) -> bool:
    """Whether `path` is one of `roots` or lies below one (no resolving: compare as given)."""
    return any(path == root or root in path.parents for root in roots)


def absolute(path: str | os.PathLike[str]) -> Path:
    """`path` with `~` expanded, made absolute and `..` folded, symlinks kept as given.

    The index keys files by this form, so a file reached through a linked folder
    keeps the name the user sees.
    """
    return Path(os.path.abspath(Path(path).expanduser()))


def resolved(path: str | os.PathLike[str]) -> Path:
    """`path` as `absolute` gives it, then with symlinks resolved (macOS /var is /private/var).

    Configured folders and watched roots use this, so events, walks and records agree.
    """
    return absolute(path).resolve()


def data_dir(configured: str = "") -> Path:
    """The index and state folder: $TUIRAG_DATA_DIR, then config, then the user data dir."""
    env = os.environ.get("TUIRAG_DATA_DIR")
    if env:
        return Path(env).expanduser()
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir(APP))
