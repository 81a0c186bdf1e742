"""Nothing leaves the machine: telemetry opt-outs set before any library is imported.

ONNX Runtime (pulled in by fastembed) ships Microsoft's 1DS telemetry client,
which looks up `mobile.events.data.microsoft.com` and queues events under
`~/.cache/Microsoft/DeveloperTools/`; `DO_NOT_TRACK` does not stop it, its own
`ORT_DISABLE_TELEMETRY` does (read when its environment is created), and
`disable_onnxruntime_telemetry` turns it off again before any session exists.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tuirag.config import Settings

OPT_OUTS = {
    "DO_NOT_TRACK": "1",  # unstructured's Scarf ping and others honour this
    "SCARF_NO_ANALYTICS": "true",
    "ANONYMIZED_TELEMETRY": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "LANCEDB_TELEMETRY": "0",
    "UNSTRUCTURED_TELEMETRY": "off",
    "ORT_DISABLE_TELEMETRY": "1",
}


def apply() -> None:
    for key, value in OPT_OUTS.items():
        os.environ[key] = value


def disable_onnxruntime_telemetry() -> None:
    """Belt and braces for ONNX Runtime: call before the first InferenceSession."""
    import onnxruntime

    onnxruntime.disable_telemetry_events()


def is_loopback(host: str) -> bool:
    name = (urlsplit(host).hostname or "").lower()
    return name in ("localhost", "::1") or name.startswith("127.")


def remote_notices(settings: Settings, answers: bool = True, embeds: bool = True) -> list[str]:
    """One line per way document text leaves this machine for a non-loopback Ollama.

    Every entry point that sends text says it: the app and `ask` (answers and query
    embeddings), `ingest` and `watch` (chunk embeddings), and `doctor`.
    """
    host = settings.ollama.resolved_host()
    if is_loopback(host):
        return []
    lines = []
    if embeds and settings.embedder.backend == "ollama":
        lines.append(
            f"every chunk of your documents goes to {host} to be embedded (not this machine)"
        )
    if answers and settings.answer.backend == "ollama":
        lines.append(f"passages from your documents go to {host} (not this machine)")
    return lines
