"""The indexing process `tuirag watch` starts when something changes (`watch --worker FD`).

It reads the supervisor's messages on stdin (tuirag.ingest.supervisor), indexes with a
supervised BackgroundIndexer under the supervisor's writer lock, logs to the same
stdout, says "idle" on the pipe FD once idle, and ends when asked to finish. If stdin
closes without that, the supervisor was killed: this process ends at once too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from rich.text import Text

from tuirag import config
from tuirag.backends.lock import write_for
from tuirag.cli.output import console
from tuirag.cli.watch import STOP_WAIT_S, WatchLog
from tuirag.ingest import supervisor
from tuirag.services import Services


def run(args: argparse.Namespace) -> int:
    start = supervisor.read_start(sys.stdin.buffer)
    if start is None:
        return 0  # the supervisor went away before it asked for anything
    status = os.fdopen(args.worker, "w", buffering=1)
    svc = Services(config.from_dict(start["settings"]))
    if start.get("locate"):
        status.write(f"folder {svc.store.folder}\n")  # a broken index fails here, as one line
        return 0
    write_for(os.getppid())  # status, the app and no-match messages name the supervisor
    log = WatchLog(console(), args.quiet)

    def idle() -> None:
        with contextlib.suppress(OSError):  # the supervisor is gone: stdin's end ends us
            status.write("idle\n")

    indexer = svc.background_indexer(
        [Path(f) for f in start["folders"]],
        log,
        supervised=True,
        idle_s=start["idle_s"],
        on_idle=idle,
    )
    wake = threading.Event()
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)
        wake.set()

    signal.signal(signal.SIGTERM, on_signal)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the supervisor's: reload config

    def follow() -> None:
        if not supervisor.serve(indexer, sys.stdin.buffer):
            os._exit(1)  # the supervisor was killed: go with it, as one process would

    indexer.start()
    threading.Thread(target=follow, name="tuirag-worker-stdin", daemon=True).start()
    try:
        while not stopping and indexer.running:
            wake.wait(1.0)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group
        pass
    if not indexer.stop(STOP_WAIT_S):
        # A native call (ONNX Runtime, a parser) still runs on the indexing thread; a
        # normal exit would tear its C++ threads down under it and abort (exit 134).
        # Nothing of that batch is written, so leaving now loses nothing.
        log.line(Text("stopped mid-batch; the next start indexes the rest", style="dim"))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 1 if log.died else 0
