"""Nothing leaves the machine: telemetry opt-outs set before any library is imported.

ONNX Runtime (pulled in by fastembed) ships Microsoft's 1DS telemetry client,
which looks up `mobile.events.data.microsoft.com` and queues events under
`~/.cache/Microsoft/DeveloperTools/`; `DO_NOT_TRACK` does not stop it, its own
`ORT_DISABLE_TELEMETRY` does (read when its environment is created), and
`disable_onnxruntime_telemetry` turns it off again before any session exists.
"""

from __future__ import annotations

import os

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
