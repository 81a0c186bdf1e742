"""Walk the indexed folders and list the files to index, and the ones skipped with why."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tuirag.ingest.ignore import IgnoreRules


@dataclass
class WalkResult:
    files: list[Path] = field(default_factory=list)
    skipped: dict[Path, str] = field(default_factory=dict)


def walk(roots: list[Path], rules: IgnoreRules, follow_symlinks: bool = False) -> WalkResult:
    """All indexable files under `roots`, sorted, plus skipped paths and the reason.

    Symlinks are skipped unless `follow_symlinks`; followed links must resolve inside
    an indexed root, and a folder already visited (same device and inode) is not
    entered twice, which breaks link loops.
    """
    result = WalkResult()
    # links may point anywhere inside the indexed folders, not only inside this walk's roots
    resolved_roots = [*rules.roots, *(r.resolve() for r in roots)]
    seen_dirs: set[tuple[int, int]] = set()
    for root in roots:
        root = Path(os.path.abspath(root))
        if root.is_file():
            why = rules.reason(root, is_dir=False)
            if why:
                result.skipped[root] = why
            else:
                result.files.append(root)
            continue
        for path, why in _walk_dir(root, rules, follow_symlinks, resolved_roots, seen_dirs):
            if why:
                result.skipped[path] = why
            else:
                result.files.append(path)
    result.files = sorted(set(result.files))
    return result


def _walk_dir(
    folder: Path,
    rules: IgnoreRules,
    follow: bool,
    roots: list[Path],
    seen: set[tuple[int, int]],
) -> Iterator[tuple[Path, str | None]]:
    try:
        st = folder.stat()
    except OSError as exc:
        yield folder, f"cannot read folder: {exc.strerror}"
        return
    if (st.st_dev, st.st_ino) in seen:
        yield folder, "symlink loop"
        return
    seen.add((st.st_dev, st.st_ino))
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield folder, f"cannot read folder: {exc.strerror}"
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            why = link_problem(path, follow, roots)
            if why:
                yield path, why
                continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        why = rules.reason(path, is_dir=is_dir)
        if why:
            if not is_dir:
                yield path, why
            continue
        if is_dir:
            yield from _walk_dir(path, rules, follow, roots, seen)
        elif entry.is_file():
            yield path, None


def link_problem(path: Path, follow: bool, roots: list[Path]) -> str | None:
    """Why a symlink is not followed, or None when it may be."""
    if not follow:
        return "symlink (set index.follow_symlinks = true to follow)"
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "broken or looping symlink"
    if not any(target == r or r in target.parents for r in roots):
        return "symlink points outside the indexed folders"
    return None
