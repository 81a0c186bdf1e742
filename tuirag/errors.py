"""Errors a user can cause and fix, and their exit codes."""

from __future__ import annotations


class UserError(Exception):
    """One line for the user saying what is wrong and what to do."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


def user_error(exc: BaseException) -> UserError | None:
    """Map the library errors that mean 'fix your setup' to a UserError; else None."""
    from tuirag.backends.embedder import EmbedderError
    from tuirag.backends.lock import IndexBusy
    from tuirag.backends.store import StoreError
    from tuirag.config import ConfigError

    if isinstance(exc, ConfigError):
        return UserError(str(exc), 2)
    if isinstance(exc, EmbedderError | StoreError | IndexBusy):
        return UserError(str(exc), 3)
    return None
