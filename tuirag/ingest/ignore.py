"""Which paths are never indexed: built-in defaults, secrets, .gitignore files, config patterns.

`tuirag ingest`, the reconcile scan and the watcher all ask the same `IgnoreRules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from tuirag.paths import resolved, within

DEFAULT_IGNORES = [
    # version control, environments, caches, build outputs
    ".git/",
    ".hg/",
    ".svn/",
    ".bzr/",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    "node_modules/",
    "__pycache__/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".cache/",
    ".idea/",
    ".vscode/",
    "build/",
    "dist/",
    "target/",
    ".next/",
    ".gradle/",
    "*.egg-info/",
    # lock files and binaries nobody asks questions about
    "*.lock",
    "package-lock.json",
    "pnpm-lock.yaml",
    "*.pyc",
    "*.pyo",
    "*.o",
    "*.so",
    "*.a",
    "*.dylib",
    "*.dll",
    "*.exe",
    "*.class",
    "*.jar",
    ".DS_Store",
    "Thumbs.db",
    # editor temp and backup files, half-downloaded files
    "*~",
    "*.swp",
    "*.swo",
    "*.swx",
    ".#*",
    "#*#",
    "*.tmp",
    "*.part",
    "*.crdownload",
    "4913",
    ".~lock.*#",
    "~$*",
    "*___jb_tmp___",  # JetBrains safe write
    "*___jb_old___",
    ".goutputstream-*",  # GTK editors (gedit)
    "*.kate-swp",
    "*.crswap",  # Chrome's File System Access writes
]

DEFAULT_SECRETS = [
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "*.kdbx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".pgpass",
    ".npmrc",
    ".pypirc",
    ".htpasswd",
    ".ssh/",
    ".gnupg/",
    ".aws/",
    ".docker/config.json",
    "credentials",
    "credentials.*",
    "*credentials*.json",
    "*secret*.json",
    "*secrets*.y*ml",
    "*.tfstate",
    "*.tfvars",
]


@dataclass
class IgnoreRules:
    """Decide for one path whether to skip it, and say why."""

    roots: list[Path]
    extra: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    respect_gitignore: bool = True

    def __post_init__(self) -> None:
        self.roots = [resolved(r) for r in self.roots]
        self._defaults = pathspec.GitIgnoreSpec.from_lines(DEFAULT_IGNORES)
        self._secrets = pathspec.GitIgnoreSpec.from_lines(DEFAULT_SECRETS + self.secrets)
        self._config = pathspec.GitIgnoreSpec.from_lines(self.extra)
        self._gitignores: dict[Path, tuple[int, pathspec.GitIgnoreSpec | None]] = {}

    def root_of(self, path: Path) -> Path | None:
        """The watched root a path lies under (the deepest one), or None."""
        best = None
        for root in self.roots:
            if within(path, [root]) and (best is None or len(root.parts) > len(best.parts)):
                best = root
        return best

    def reason(self, path: Path, is_dir: bool | None = None) -> str | None:
        """Why `path` (absolute, under a root) is skipped, or None to index it.

        Every ancestor between the root and the path is checked too, so a single
        path from the watcher gets the same answer as a full walk.
        """
        root = self.root_of(path)
        if root is None:
            return "outside the indexed folders"
        rel = path.relative_to(root)
        parts = rel.parts
        for depth in range(1, len(parts) + 1):
            last = depth == len(parts)
            sub = Path(*parts[:depth])
            sub_is_dir = (path.is_dir() if is_dir is None else is_dir) if last else True
            why = self._check(root, sub, sub_is_dir)
            if why:
                return why
        return None

    def _check(self, root: Path, rel: Path, is_dir: bool) -> str | None:
        key = rel.as_posix() + ("/" if is_dir else "")
        if self._secrets.match_file(key):
            return "secret: name matches a secret pattern"
        if self._defaults.match_file(key):
            return "ignored by default rules"
        if self._config.match_file(key):
            return "ignored by config"
        if self.respect_gitignore:
            # each .gitignore from the root down applies to paths below its folder
            parent_parts = rel.parts[:-1]
            for depth in range(len(parent_parts) + 1):
                folder = root.joinpath(*parent_parts[:depth])
                spec = self._gitignore(folder)
                if spec is None:
                    continue
                sub = Path(*rel.parts[depth:]).as_posix() + ("/" if is_dir else "")
                if spec.match_file(sub):
                    return f"ignored by {folder / '.gitignore'}"
        return None

    def _gitignore(self, folder: Path) -> pathspec.GitIgnoreSpec | None:
        """The folder's .gitignore, re-read when it changes (the watcher relies on this)."""
        file = folder / ".gitignore"
        try:
            mtime = file.stat().st_mtime_ns
        except OSError:
            mtime = -1
        cached = self._gitignores.get(folder)
        if cached and cached[0] == mtime:
            return cached[1]
        spec = None
        if mtime != -1:
            try:
                lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
                spec = pathspec.GitIgnoreSpec.from_lines(lines)
            except OSError:
                spec = None
        self._gitignores[folder] = (mtime, spec)
        return spec


_SECRET_TEXT = [
    (re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{32,}\b"), "an API secret key"),
    (re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"), "a Slack token"),
]


def secret_in_text(text: str) -> str | None:
    """What kind of credential a file's text contains, if any (then it is not indexed)."""
    for pattern, what in _SECRET_TEXT:
        if pattern.search(text):
            return f"secret: contains {what}"
    return None
