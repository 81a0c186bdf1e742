"""What the last full sync left for `status`: when it ran, how long, what it passed over.

Written by the indexer next to the index (state.json), read by `tuirag status`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FILE = "state.json"


def write(index_folder: Path, skipped: Mapping[str, int], seconds: float) -> None:
    state = {"last_update": time.time(), "skipped": dict(skipped), "seconds": seconds}
    tmp = index_folder / (FILE + ".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(index_folder / FILE)


def read(index_folder: Path) -> dict[str, Any]:
    """The last sync's state, or {} before the first one."""
    path = index_folder / FILE
    return json.loads(path.read_text()) if path.exists() else {}
