"""Watch folders and keep the index current, in the foreground (Ctrl-C or SIGTERM stops).

Watches index.folders plus any folders given here. Logs one line per file indexed,
removed, failed or skipped. `tuirag search` keeps working from other shells; when
another process already writes this index, this one waits and takes over when it
exits.

Follows its config file: a change to index.folders (an edit, or the app adding a
folder) is applied within about a second, or at once on SIGHUP; see config_follow.

Runs as a lean supervisor (observers and the writer lock, ~25 MiB) that starts an
indexing process when something changes and lets it end after 30 s idle; see
tuirag.ingest.supervisor. `--worker FD` (hidden) is that process: cli/watch_worker.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.text import Text

from tuirag import config, paths
from tuirag.cli.common import services
from tuirag.cli.output import console, name_text
from tuirag.errors import UserError
from tuirag.ingest import watchstate
from tuirag.ingest.config_follow import ConfigFollower
from tuirag.ingest.events import Done, Embedding, Idle, IndexEvent, Notice, Stopped
from tuirag.ingest.supervisor import Supervisor
from tuirag.paths import resolved
from tuirag.privacy import remote_notices
from tuirag.services import Services

STYLES = {"indexed": "green", "removed": "cyan", "failed": "red", "skipped": "yellow"}
LEVELS = {"info": "dim", "warning": "yellow", "error": "bold red"}
STOP_WAIT_S = 20.0  # systemd waits 90 s before SIGKILL
RELOAD = [signal.SIGHUP] if hasattr(signal, "SIGHUP") else []  # no SIGHUP on Windows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", type=Path, help="more folders to watch, whatever the config says"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="log only problems")
    parser.add_argument("--worker", type=int, metavar="FD", help=argparse.SUPPRESS)
    parser.epilog = (
        "The config file is followed: folders added to or removed from index.folders "
        "(by an editor or the app) are watched or forgotten within a second; "
        "`kill -HUP PID` reloads at once. A broken config is logged and the old settings "
        "stay; embedder, chunking and other start-up settings need a restart."
    )


def run(args: argparse.Namespace) -> int:
    if args.worker is not None:
        from tuirag.cli import watch_worker

        return watch_worker.run(args)
    svc = services(args)
    extra = [p.expanduser() for p in args.paths]
    not_dirs = [str(p) for p in extra if not p.is_dir()]
    if not_dirs:
        raise UserError(f"not a folder: {', '.join(not_dirs)}")
    folders = [*svc.roots(), *extra]
    if not folders:
        raise UserError(
            "no folders to watch: pass some (`tuirag watch ~/docs`) "
            "or set index.folders in the config"
        )
    log = WatchLog(console(), args.quiet)
    for line in remote_notices(svc.settings, answers=False):
        log.line(name_text(f"note: {line}", style="yellow"))
    worker = [sys.executable, "-m", "tuirag", "watch", *(["--quiet"] if args.quiet else [])]
    indexer = Supervisor(
        svc.settings, folders, svc.rules, log, [*worker, "--worker"], svc.index_folder()
    )
    follower = ConfigFollower(paths.config_file(getattr(args, "config", None)), svc.settings, extra)
    wake = threading.Event()
    received: set[int] = set()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.add(signum)
        wake.set()

    previous = {s: signal.signal(s, on_signal) for s in [signal.SIGTERM, *RELOAD]}
    indexer.start()
    try:
        while signal.SIGTERM not in received and indexer.running:
            wake.wait(1.0)  # then one stat of the config file: cheap
            wake.clear()
            hup = any(s in received for s in RELOAD)
            received.difference_update(RELOAD)
            _follow(follower, svc, indexer, log, force=hup)
    except KeyboardInterrupt:
        pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        finished = indexer.stop(STOP_WAIT_S)
    failed = indexer.exit_code or (1 if log.died else 0)
    code = 0 if signal.SIGTERM in received else failed
    log.line(Text("stopped" if finished else "stopped; the indexer may still run", style="dim"))
    return code


def _follow(
    follower: ConfigFollower, svc: Services, indexer: Supervisor, log: WatchLog, force: bool
) -> None:
    """Apply a changed config file: folders now, other settings at the next start."""
    try:
        change = follower.check(force)
    except config.ConfigError as exc:
        log.line(name_text(f"config not applied, old settings kept: {exc}", style="yellow"))
        return
    if change is None:
        return
    svc.settings.index.folders = list(follower.settings.index.folders)  # the rules' roots
    for folder in change.add:
        indexer.add_folder(folder)
    for folder in change.remove:
        indexer.remove_folder(folder, forget=True)
    what = [f"watching {f}" for f in change.add]
    what += [f"no longer watching {f}" for f in change.remove]
    if what or not log.quiet:
        done = "; ".join(what) or "no folder changes"
        log.line(name_text(f"config reloaded: {done}", style="dim"))
    if change.restart:
        log.line(Text(f"restart tuirag watch to apply {', '.join(change.restart)}", style="yellow"))


class WatchLog:
    """Index events as log lines; called on the indexing thread."""

    def __init__(self, out: Console, quiet: bool) -> None:
        self.out = out
        self.quiet = quiet
        self.died = False

    def line(self, text: Text) -> None:
        self.out.print(Text(time.strftime("%H:%M:%S "), style="dim") + text)

    def __call__(self, event: IndexEvent) -> None:
        if isinstance(event, Done):
            o = event.outcome
            if o.status not in STYLES or (self.quiet and o.status in ("indexed", "removed")):
                return
            text = Text(f"{o.status:<8} ", style=STYLES[o.status]) + name_text(o.path)
            if o.status == "indexed":
                text += Text(f"  ({o.chunks} chunks, {o.embedded} embedded)", style="dim")
            elif o.reason:
                text += name_text(f": {o.reason}")
            self.line(text)
        elif isinstance(event, Notice):
            if self.quiet and event.level == "info":
                return
            self.line(name_text(event.message, style=LEVELS.get(event.level, "")))
        elif isinstance(event, Embedding) and not self.quiet:
            self.line(Text(f"embedded {event.done:,} of {event.total:,} chunks", style="dim"))
        elif isinstance(event, Stopped):
            self.died = True
            self.line(name_text(event.message, style=LEVELS["error"]))
        elif isinstance(event, Idle) and not self.quiet:
            state = f"up to date: {event.files:,} files, {event.chunks:,} chunks"
            if event.embedded < event.chunks:
                state += f" (embedded {event.embedded:,} of {event.chunks:,})"
            self.line(Text(state, style="dim"))


def watch_checks(settings: config.Settings) -> list[tuple[bool | None, str, str]]:
    """`doctor` lines: a running watcher's polled folders, and folders that will be polled."""
    from tuirag.backends.index_dirs import index_folders
    from tuirag.ingest.watcher import NETWORK_FS, filesystem_type, inotify_watch_limit

    lines: list[tuple[bool | None, str, str]] = []
    for folder in index_folders(settings.data_dir):
        state = watchstate.read(folder)
        if state is None:
            continue
        polled = watchstate.polled(state)
        for path, mode in polled.items():
            lines.append((None, "watch", f"{path}: {mode}"))
        if not polled:
            n = len(state.get("folders", {}))
            lines.append((True, "watch", f"pid {state['pid']} watches {n} folders with OS events"))
    every = settings.watch.poll_interval_s
    for raw in settings.index.folders:
        fs = filesystem_type(resolved(raw))
        if fs in NETWORK_FS:
            lines.append((None, "watch", f"{raw} is on {fs}: it will be polled every {every:g} s"))
    limit = inotify_watch_limit()
    if limit is not None and limit < 65536 and settings.index.folders:
        advice = "large trees may need `sudo sysctl fs.inotify.max_user_watches=524288`"
        lines.append((None, "watch", f"fs.inotify.max_user_watches is {limit}; {advice}"))
    return lines
