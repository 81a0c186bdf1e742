"""Run a format plugin on one file and turn every failure into one readable reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tuirag.plugins.base import FormatPlugin, PluginError
from tuirag.textsafe import strip_controls
from tuirag.types import Section


class ParseFailed(Exception):
    """The file could not be read; str() is the one-line reason shown to the user."""


def parse_file(plugin: FormatPlugin, path: Path) -> list[Section]:
    """All sections of `path`, with control characters removed from their text."""
    try:
        sections = list(plugin.load(path))
    except PluginError as exc:
        raise ParseFailed(str(exc)) from None
    except PermissionError:
        raise ParseFailed("permission denied") from None
    except FileNotFoundError:
        raise ParseFailed("file vanished while reading") from None
    except MemoryError:
        raise ParseFailed("ran out of memory while parsing") from None
    except Exception as exc:  # plugins wrap third-party parsers that raise anything
        detail = str(exc).splitlines()[0] if str(exc) else ""
        raise ParseFailed(f"{plugin.name} could not parse it: {type(exc).__name__} {detail}".strip()) from None
    return [_clean(s) for s in sections]


def _clean(section: Section) -> Section:
    return replace(
        section,
        text=strip_controls(section.text),
        header=strip_controls(section.header),
        heading=strip_controls(section.heading),
    )
