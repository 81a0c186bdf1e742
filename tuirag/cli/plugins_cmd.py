"""List format plugins: where each comes from, the file types it claims, and whether it loaded."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from typing import Any, Literal

from rich.table import Table
from rich.text import Text

from tuirag import config
from tuirag.cli.output import console
from tuirag.plugins.base import FormatPlugin
from tuirag.plugins.registry import PluginInfo, Registry, load_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the plugins as JSON")


PluginStatus = Literal["loaded", "failed", "disabled"]


def _status(info: PluginInfo) -> PluginStatus:
    if not info.enabled:
        return "disabled"
    return "failed" if info.error else "loaded"


def _sniffs(info: PluginInfo) -> bool:
    return info.plugin is not None and type(info.plugin).sniff is not FormatPlugin.sniff


def contested(registry: Registry) -> dict[str, list[str]]:
    """Extensions claimed by more than one active plugin -> plugin names, winner first."""
    claims: dict[str, list[str]] = defaultdict(list)
    for plugin in registry.active:  # already in who-wins order
        for ext in plugin.extensions:
            claims[ext].append(plugin.name)
    return {ext: names for ext, names in sorted(claims.items()) if len(names) > 1}


def run(args: argparse.Namespace) -> int:
    settings = config.load(getattr(args, "config", None))
    registry = load_registry(settings.plugins)
    rows: list[dict[str, Any]] = [
        {
            "name": i.name,
            "status": _status(i),
            "priority": i.priority if i.plugin else None,
            "types": list(i.extensions) + (["(sniffs content)"] if _sniffs(i) else []),
            "source": f"{i.target} ({i.dist})" if i.dist else i.target,
            "error": i.error,
        }
        for i in registry.infos
    ]
    conflicts = contested(registry)
    if args.json:
        print(json.dumps({"plugins": rows, "contested": conflicts}, indent=2))
        return 1 if any(r["error"] for r in rows) else 0
    out = console()
    table = Table(show_lines=False, box=None, pad_edge=False)
    for column in ("plugin", "status", "priority", "claims", "from"):
        table.add_column(column, overflow="fold")
    style: dict[PluginStatus, str] = {"loaded": "green", "failed": "red", "disabled": "yellow"}
    for row in rows:
        table.add_row(
            Text(row["name"]),
            Text(row["status"], style=style[row["status"]]),
            Text("" if row["priority"] is None else str(row["priority"])),
            Text(" ".join(row["types"]) or "-"),
            Text(row["source"]),
        )
    out.print(table)
    for row in rows:
        if row["error"]:
            out.print(Text(f"{row['name']} failed to load: {row['error']}", style="red"))
    for ext, names in conflicts.items():
        out.print(Text(f"{ext}: {names[0]} wins over {', '.join(names[1:])}", style="dim"))
    if not rows:
        out.print("no plugins found: reinstall tuirag (`pip install -e .`)")
    return 1 if any(r["error"] for r in rows) else 0
