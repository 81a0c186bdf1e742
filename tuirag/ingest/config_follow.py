"""What a running `tuirag watch` does when its config file changes.

`diff` is pure: old settings + new settings -> folders to watch, folders to drop,
and the keys that only a restart applies. `ConfigFollower` notices the file
changing (its stat, checked by the daemon about once a second or on SIGHUP) and
keeps the last settings that loaded, so a broken edit leaves them in force.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuirag import config
from tuirag.paths import resolved

# sections the daemon reads only at start; search/answer/ui never affect indexing
_RESTART_SECTIONS = ("index", "embedder", "chunking", "watch", "parsing", "plugins")
_LIVE_KEYS = {"index.folders"}


@dataclass(frozen=True)
class ConfigChange:
    add: list[Path]  # newly configured folders, resolved
    remove: list[Path]  # folders no longer configured and not given on the command line
    restart: list[str]  # "section.key" changes that apply only after a restart

    def __bool__(self) -> bool:
        return bool(self.add or self.remove or self.restart)


def folders(settings: config.Settings) -> list[Path]:
    """index.folders resolved as the indexer resolves them (duplicates dropped, order kept)."""
    return list(dict.fromkeys(resolved(f) for f in settings.index.folders))


def diff(old: config.Settings, new: config.Settings, pinned: Iterable[Path] = ()) -> ConfigChange:
    """The change from `old` to `new`; `pinned` folders (the command line's) always stay."""
    keep = {resolved(p) for p in pinned}
    before, after = folders(old), folders(new)
    add = [f for f in after if f not in before and f not in keep]
    remove = [f for f in before if f not in after and f not in keep]
    sections = list(_RESTART_SECTIONS)
    if "ollama" in (old.embedder.backend, new.embedder.backend):
        sections.append("ollama")  # the Ollama embedder reads host, model and timeouts
    restart = [
        key
        for key in _changed_keys(config.to_dict(old), config.to_dict(new), sections)
        if key not in _LIVE_KEYS
    ]
    return ConfigChange(add, remove, restart)


def _changed_keys(old: dict[str, Any], new: dict[str, Any], sections: list[str]) -> list[str]:
    keys: list[str] = []
    for section in sections:
        a, b = old.get(section, {}), new.get(section, {})
        if section == "plugins":  # free-form tables: one key per plugin
            keys += [f"plugins.{n}" for n in sorted(set(a) | set(b)) if a.get(n) != b.get(n)]
        else:
            keys += [f"{section}.{k}" for k in a if a[k] != b.get(k)]
    return keys


class ConfigFollower:
    """The config file a daemon started with, and the settings last read from it."""

    def __init__(self, path: Path, settings: config.Settings, pinned: Iterable[Path] = ()) -> None:
        self.path = path
        self.settings = settings
        self.started = settings  # what the daemon's embedder, chunker and rules were built from
        self.pinned = list(pinned)
        self._stamp = _stamp(path)

    def check(self, force: bool = False) -> ConfigChange | None:
        """Re-read the file if it changed (or `force`); None when there is nothing to read.

        A file that fails to load raises ConfigError and the previous settings stay;
        the same broken file is not reported again until it changes.
        """
        stamp = _stamp(self.path)
        if stamp == self._stamp and not force:
            return None
        self._stamp = stamp
        if stamp is None:
            raise config.ConfigError(f"{self.path}: config file is gone")
        new = config.load(self.path)
        change = diff(self.settings, new, self.pinned)
        self.settings = new
        # restart keys stay reported until a restart applies them (or the edit is undone)
        return ConfigChange(change.add, change.remove, diff(self.started, new).restart)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is rewritten: an atomic replace gives a new inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino
