"""Walk the indexed folders and list the files to index, and the ones skipped with why."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tuirag.ingest.ignore import IgnoreRules
from tuirag.paths import absolute, within


@dataclass
class WalkResult:
    files: list[Path] = field(default_factory=list)
    skipped: dict[Path, str] = field(default_factory=dict)


@dataclass
class _State:
    rules: IgnoreRules
    follow: bool
    roots: list[Path]
    seen_dirs: set[tuple[int, int]] = field(default_factory=set)
    links: list[Path] = field(default_factory=list)  # followed after every real path


def walk(roots: list[Path], rules: IgnoreRules, follow_symlinks: bool = False) -> WalkResult:
    """All indexable files under `roots`, sorted, plus skipped paths and the reason.

    Symlinks are skipped unless `follow_symlinks`; then links to folders inside the
    indexed folders are walked, after every real path, so a file is indexed under its
    real path (the one the watcher's events name), and a link to a folder already
    walked (or to an ancestor: a loop) is skipped with a reason.
    """
    result = WalkResult()
    # links may point anywhere inside the indexed folders, not only inside this walk's roots
    state = _State(rules, follow_symlinks, [*rules.roots, *(r.resolve() for r in roots)])
    for root in roots:
        root = absolute(root)
        if root.is_file():
            _add(result, root, rules.reason(root, is_dir=False))
            continue
        for path, why in _walk_dir(root, state):
            _add(result, path, why)
    while state.links:
        for path, why in _follow(state.links.pop(0), state):
            _add(result, path, why)
    result.files = sorted(set(result.files))
    return result


def _add(result: WalkResult, path: Path, why: str | None) -> None:
    if why:
        result.skipped[path] = why
    else:
        result.files.append(path)


def _walk_dir(folder: Path, state: _State) -> Iterator[tuple[Path, str | None]]:
    try:
        st = folder.stat()
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield folder, f"cannot read folder: {exc.strerror}"
        return
    state.seen_dirs.add((st.st_dev, st.st_ino))
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            why = link_problem(path, state.follow, state.roots)
            if why:
                yield path, why
            else:
                state.links.append(path)
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        why = state.rules.reason(path, is_dir=is_dir)
        if why:
            if not is_dir:
                yield path, why
            continue
        if is_dir:
            yield from _walk_dir(path, state)
        elif entry.is_file():
            yield path, None


def _follow(link: Path, state: _State) -> Iterator[tuple[Path, str | None]]:
    """A linked folder (link_problem already refused file links and outside targets)."""
    info = link.stat()
    target = link.resolve()
    if target in link.parents:
        yield link, "symlink loop"
    elif (info.st_dev, info.st_ino) in state.seen_dirs:
        yield link, f"symlink to a folder indexed as {target}"
    elif why := state.rules.reason(link, is_dir=True):
        yield link, why
    else:
        yield from _walk_dir(link, state)


def link_problem(path: Path, follow: bool, roots: list[Path]) -> str | None:
    """Why a symlink is not followed, or None when it may be.

    Only links to folders are followed: a link to a file inside the indexed folders
    would index that file twice, and one to a file outside must not index it at all.
    """
    if not follow:
        return "symlink (set index.follow_symlinks = true to follow)"
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "broken or looping symlink"
    if not within(target, roots):
        return "symlink points outside the indexed folders"
    if not target.is_dir():
        return f"symlink to a file indexed as {target}"
    return None
