"""What every subcommand needs: settings and services from the --config option."""

from __future__ import annotations

import argparse

from tuirag import config
from tuirag.services import Services


def services(args: argparse.Namespace) -> Services:
    return Services(config.load(getattr(args, "config", None)))
