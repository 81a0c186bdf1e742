"""Which files are indexed: defaults, secrets, nested .gitignore, config patterns, symlinks."""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import write
from tuirag.ingest.ignore import IgnoreRules, secret_in_text
from tuirag.ingest.walk import walk


def _tree(root: Path) -> None:
    for rel in [
        "README.md",
        "src/app.py",
        "src/.venv/lib/x.py",
        "node_modules/pkg/index.js",
        ".git/config",
        "build/out.txt",
        "notes.md~",
        ".env",
        "config/.env.production",
        "keys/id_rsa",
        "certs/server.pem",
        "poetry.lock",
        "sub/keep.txt",
        "sub/drop.log",
        "sub/deeper/also.log",
        "sub/deeper/fine.txt",
        "archive/old.md",
    ]:
        write(root / rel, f"content of {rel}\n")
    write(root / ".gitignore", "archive/\n")
    write(root / "sub" / ".gitignore", "*.log\n")


def test_walk_skips_defaults_secrets_and_gitignored(tmp_path: Path) -> None:
    _tree(tmp_path)
    rules = IgnoreRules([tmp_path])
    result = walk([tmp_path], rules)
    found = sorted(p.relative_to(tmp_path).as_posix() for p in result.files)
    assert found == [
        ".gitignore",
        "README.md",
        "src/app.py",
        "sub/.gitignore",
        "sub/deeper/fine.txt",
        "sub/keep.txt",
    ]
    reasons = {p.relative_to(tmp_path).as_posix(): why for p, why in result.skipped.items()}
    for secret in (".env", "config/.env.production", "keys/id_rsa", "certs/server.pem"):
        assert reasons[secret].startswith("secret"), secret
    assert reasons["sub/drop.log"] == f"ignored by {tmp_path / 'sub' / '.gitignore'}"
    assert reasons["sub/deeper/also.log"].startswith("ignored by")
    assert reasons["poetry.lock"] == "ignored by default rules"
    assert reasons["notes.md~"] == "ignored by default rules"


def test_single_path_answer_matches_walk(tmp_path: Path) -> None:
    """The watcher asks about one path at a time: ancestors' rules must apply."""
    _tree(tmp_path)
    rules = IgnoreRules([tmp_path])
    assert rules.reason(tmp_path / "src/.venv/lib/x.py") == "ignored by default rules"
    assert rules.reason(tmp_path / "archive/old.md", is_dir=False).startswith("ignored by")
    assert rules.reason(tmp_path / "sub/keep.txt") is None
    assert rules.reason(Path("/elsewhere/file.txt")) == "outside the indexed folders"


def test_gitignore_change_is_seen(tmp_path: Path) -> None:
    _tree(tmp_path)
    rules = IgnoreRules([tmp_path])
    assert rules.reason(tmp_path / "README.md") is None
    gitignore = tmp_path / ".gitignore"
    gitignore.write_text("archive/\nREADME.md\n")
    os.utime(gitignore, ns=(1, 10**9 * 5))  # a different mtime even on coarse clocks
    assert rules.reason(tmp_path / "README.md", is_dir=False).startswith("ignored by")


def test_config_patterns_and_extra_secrets(tmp_path: Path) -> None:
    _tree(tmp_path)
    rules = IgnoreRules([tmp_path], extra=["*.py"], secrets=["README.md"])
    assert rules.reason(tmp_path / "src/app.py") == "ignored by config"
    assert rules.reason(tmp_path / "README.md").startswith("secret")
    off = IgnoreRules([tmp_path], respect_gitignore=False)
    assert off.reason(tmp_path / "sub/drop.log") is None


def test_symlinks_not_followed_by_default_and_never_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    write(root / "a.txt", "a")
    write(outside / "secret.txt", "outside")
    (root / "out").symlink_to(outside)
    (root / "loop").symlink_to(root)
    (root / "inner").mkdir()
    (root / "inner" / "a_link.txt").symlink_to(root / "z.txt")
    write(root / "z.txt", "z")
    (root / "b_docs").symlink_to(root / "docs")  # sorts before its target
    write(root / "docs" / "guide.md", "guide")
    (root / "extra").mkdir()
    (root / "extra" / "shared").symlink_to(outside)
    rules = IgnoreRules([root, outside / "sub"])
    write(outside / "sub" / "note.txt", "indexed through its own root")
    (root / "sublink").symlink_to(outside / "sub")
    default = walk([root], rules)
    assert sorted(p.relative_to(root).as_posix() for p in default.files) == [
        "a.txt",
        "docs/guide.md",
        "z.txt",
    ]
    assert all("symlink" in why for p, why in default.skipped.items() if p.is_symlink())
    followed = walk([root], rules, follow_symlinks=True)
    names = sorted(p.relative_to(root).as_posix() for p in followed.files)
    # every file once, under its real path; links to indexed things are named as such
    assert names == ["a.txt", "docs/guide.md", "sublink/note.txt", "z.txt"]
    reasons = {p.relative_to(root).as_posix(): why for p, why in followed.skipped.items()}
    assert reasons["out"] == "symlink points outside the indexed folders"
    assert reasons["extra/shared"] == "symlink points outside the indexed folders"
    assert reasons["loop"] == "symlink loop"
    assert reasons["b_docs"] == f"symlink to a folder indexed as {root / 'docs'}"
    assert reasons["inner/a_link.txt"] == f"symlink to a file indexed as {root / 'z.txt'}"


def test_secret_text_scan() -> None:
    assert (
        secret_in_text("-----BEGIN OPENSSH PRIVATE KEY-----\nabc")
        == "secret: contains a private key"
    )
    assert (
        secret_in_text("aws_access_key_id = AKIAABCDEFGHIJKLMNOP")
        == "secret: contains an AWS access key"
    )
    assert secret_in_text("a normal document about keys and locks") is None
