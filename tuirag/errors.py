"""Errors a user can cause and fix, and their exit codes."""

from __future__ import annotations

import re


class UserError(Exception):
    """One line for the user saying what is wrong and what to do."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


def user_error(exc: BaseException) -> UserError | None:
    """Map the library errors that mean 'fix your setup' to a UserError; else None."""
    from tuirag.backends.diskspace import DiskFull, is_disk_full
    from tuirag.backends.embedder import EmbedderError
    from tuirag.backends.lock import IndexBusy
    from tuirag.backends.store import StoreError
    from tuirag.config import ConfigError

    if isinstance(exc, ConfigError):
        return UserError(str(exc), 2)
    if isinstance(exc, DiskFull):
        return UserError(str(exc), 3)
    if is_disk_full(exc):
        return UserError(
            f"the disk is full ({lance_reason(exc)}): free some space and run again", 3
        )
    if isinstance(exc, EmbedderError | StoreError | IndexBusy):
        return UserError(str(exc), 3)
    if isinstance(exc, OSError | RuntimeError | ValueError) and "lance" in str(exc).lower():
        # LanceDB reading a damaged index: a deleted data file, a truncated index file
        return UserError(
            f"the index cannot be read ({lance_reason(exc)}); run `tuirag doctor`, "
            "then `tuirag ingest --repair`",
            3,
        )
    return None


def lance_reason(exc: BaseException) -> str:
    """The first line of a (LanceDB) error, without the Rust source location."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return re.sub(r", /\S+\.rs:\d+:\d+$", "", text)[:300]
