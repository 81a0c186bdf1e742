"""Run a format plugin on one file and turn every failure into one readable reason.

Plugins wrap third-party parsers that can loop for hours or take gigabytes on a
hostile file (pdfminer #909, unstructured #2129). `IsolatedParser` runs them in a
long-lived child process with a wall-clock timeout and an address-space limit
(RLIMIT_AS): a file that trips either is killed, reported as one line, and the
next file gets a fresh child. Plugins that declare `isolate = False` (plain text,
Markdown: no third-party parser) run in-process, which saves the IPC round trip.
"""

from __future__ import annotations

import importlib
import multiprocessing
import signal
import threading
import weakref
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from tuirag.plugins.base import FormatPlugin, PluginError
from tuirag.text import strip_controls
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
        raise ParseFailed(
            f"{plugin.name} could not parse it: {type(exc).__name__} {detail}".strip()
        ) from None
    return [_clean(s) for s in sections]


def _clean(section: Section) -> Section:
    return replace(
        section,
        text=strip_controls(section.text),
        header=strip_controls(section.header),
        heading=strip_controls(section.heading),
    )


# ---- isolation ------------------------------------------------------------

_PluginKey = tuple[str, str, tuple[tuple[str, Any], ...]]  # module, class, options
STARTUP_S = 120.0  # importing a parser library on a loaded machine; not the file's fault


def _key(plugin: FormatPlugin) -> _PluginKey:
    cls = type(plugin)
    return cls.__module__, cls.__qualname__, tuple(sorted(plugin.options.items()))


def _serve(conn: Connection, memory_mb: int, idle_s: float) -> None:
    """The child: parse files sent by the parent until it goes quiet or away."""
    if memory_mb > 0:
        try:
            import resource

            limit = memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):  # not every OS enforces RLIMIT_AS
            pass
    plugins: dict[_PluginKey, FormatPlugin] = {}
    while conn.poll(idle_s):  # idle for idle_s: exit; the parent starts a new child when needed
        try:
            key, path = conn.recv()
        except EOFError:  # the parent is gone
            return
        try:
            plugin = plugins.get(key)
            if plugin is None:
                module, qualname, options = key
                cls: Any = importlib.import_module(module)
                for part in qualname.split("."):
                    cls = getattr(cls, part)
                plugin = plugins[key] = cls(dict(options))
            conn.send(("started", None))  # the file's time limit starts now, not at import
            reply: tuple[str, Any] = ("ok", parse_file(plugin, Path(path)))
        except ParseFailed as exc:
            reply = ("failed", str(exc))
        except MemoryError:
            reply = ("failed", "ran out of memory while parsing")
        except Exception as exc:  # the plugin class itself would not load here
            reply = ("failed", f"cannot start the parser: {type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("failed", "ran out of memory while parsing"))


class IsolatedParser:
    """`parse_file` in a child process, killed past `timeout_s` or `memory_mb`.

    One child serves many files (start-up is paid once); it exits by itself after
    `idle_s` without work, and is killed when this object is closed or collected.
    """

    def __init__(
        self, timeout_s: float = 60.0, memory_mb: int = 2048, idle_s: float = 60.0
    ) -> None:
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.idle_s = idle_s
        self._ctx = multiprocessing.get_context("spawn")  # never fork a process with model threads
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize | None = None

    def __call__(self, plugin: FormatPlugin, path: Path) -> list[Section]:
        if not plugin.isolate:
            return parse_file(plugin, path)
        with self._lock:
            return self._remote(plugin, path)

    def _remote(self, plugin: FormatPlugin, path: Path) -> list[Section]:
        retried = False
        while True:
            conn = self._child()
            try:
                conn.send((_key(plugin), str(path)))
                status, value = self._reply(
                    conn, STARTUP_S, f"the {plugin.name} parser did not start in {STARTUP_S:g} s"
                )
                if status == "started":
                    status, value = self._reply(
                        conn,
                        self.timeout_s,
                        f"parsing took longer than {self.timeout_s:g} s and was stopped "
                        "(raise parsing.timeout_s if the file is just big)",
                    )
            except (EOFError, OSError):
                reason = self._crash_reason()
                if reason is None and not retried:  # it had just exited on idle: try once more
                    retried = True
                    continue
                raise ParseFailed(reason or "the parser exited unexpectedly") from None
            if status == "failed":
                raise ParseFailed(value)
            return value

    def _reply(self, conn: Connection, seconds: float, late: str) -> tuple[str, Any]:
        """The child's next message; past `seconds` the child is killed and `late` raised."""
        if not conn.poll(seconds):
            self.close()
            raise ParseFailed(late)
        return conn.recv()

    def _child(self) -> Connection:
        if self._proc is not None and self._proc.is_alive() and self._conn is not None:
            return self._conn
        self.close()
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_serve,
            args=(child, self.memory_mb, self.idle_s),
            name="tuirag-parser",
            daemon=True,
        )
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        self._finalizer = weakref.finalize(self, _stop, proc, parent)
        return parent

    def _crash_reason(self) -> str | None:
        """Why the child died mid-file; None if it exited cleanly (idle timeout)."""
        proc = self._proc
        code = None
        if proc is not None:
            proc.join(5)
            code = proc.exitcode
        self.close()
        if code == 0:
            return None
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return (
                f"the parser crashed ({name}); the file is malformed or needs more than "
                f"{self.memory_mb} MB (parsing.memory_mb)"
            )
        return f"the parser exited unexpectedly (exit code {code})"

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._proc = self._conn = self._finalizer = None


def _stop(proc: BaseProcess, conn: Connection) -> None:
    conn.close()
    if proc.is_alive():
        proc.kill()
    proc.join(5)
