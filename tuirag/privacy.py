"""Nothing leaves the machine: telemetry opt-outs set before any library is imported."""

from __future__ import annotations

import os

OPT_OUTS = {
    "DO_NOT_TRACK": "1",  # unstructured's Scarf ping and others honour this
    "SCARF_NO_ANALYTICS": "true",
    "ANONYMIZED_TELEMETRY": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "LANCEDB_TELEMETRY": "0",
    "UNSTRUCTURED_TELEMETRY": "off",
}


def apply() -> None:
    for key, value in OPT_OUTS.items():
        os.environ[key] = value
