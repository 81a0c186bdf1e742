"""The interface every format plugin implements, built-in or third-party.

A plugin is a class registered under the `tuirag.plugins` entry-point group:

    [project.entry-points."tuirag.plugins"]
    myformat = "my_package:MyPlugin"

It declares what it claims (`extensions`, optional `sniff`), a `priority` (higher
wins when two claim a file), a `version` (bump it and files it parsed are parsed
again), and `load(path)`, which yields `Section`s. Chunk sizes are the core's job.
`load` runs in a child process with a time and memory limit unless the plugin sets
`isolate = False` (only for pure-Python parsers that cannot hang or blow up).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from tuirag.types import Section


class PluginError(Exception):
    """A file this plugin cannot read; the message is shown to the user as is."""


class FormatPlugin:
    name: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()  # lower case, with the dot: (".md",)
    priority: ClassVar[int] = 0
    version: ClassVar[str] = "1"
    isolate: ClassVar[bool] = True

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = options or {}

    def sniff(self, path: Path, head: bytes) -> bool:
        """Claim a file by its first bytes when no plugin claims its extension."""
        return False

    def load(self, path: Path) -> Iterable[Section]:
        raise NotImplementedError
