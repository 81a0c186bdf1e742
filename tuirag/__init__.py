"""tuirag: chat with your own folders, locally."""

from tuirag import privacy

__version__ = "0.1.0"

privacy.apply()  # before any third-party import can read its telemetry switches
