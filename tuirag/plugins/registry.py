"""Find format plugins through entry points and pick the one for each file.

Who wins when several plugins claim a file: the highest `priority` (a plugin's
own, or `[plugins.NAME] priority = N` from config), then the name in alphabetical
order. Extensions are matched first; only a file no plugin claims by extension is
offered to `sniff`. A plugin that fails to import is reported, the rest work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from tuirag.plugins.base import FormatPlugin

GROUP = "tuirag.plugins"


@dataclass
class PluginInfo:
    name: str
    target: str  # "module:Class" from the entry point
    dist: str
    plugin: FormatPlugin | None = None
    error: str = ""
    enabled: bool = True
    priority: int = 0
    extensions: tuple[str, ...] = ()


@dataclass
class Registry:
    infos: list[PluginInfo] = field(default_factory=list)

    @property
    def active(self) -> list[FormatPlugin]:
        ranked = sorted(
            (i for i in self.infos if i.plugin and i.enabled), key=lambda i: (-i.priority, i.name)
        )
        return [i.plugin for i in ranked if i.plugin]

    def for_path(self, path: Path) -> FormatPlugin | None:
        name = path.name.lower()
        active = self.active
        for plugin in active:
            if any(name.endswith(ext) for ext in plugin.extensions):
                return plugin
        try:
            with path.open("rb") as fh:
                head = fh.read(8192)
        except OSError:
            return None
        for plugin in active:
            if plugin.sniff(path, head):
                return plugin
        return None

    def versions(self) -> dict[str, str]:
        return {p.name: p.version for p in self.active}


def load_registry(config: dict[str, dict[str, Any]] | None = None) -> Registry:
    """Import every plugin in the entry-point group, applying `[plugins.*]` config."""
    config = config or {}
    registry = Registry()
    seen: set[str] = set()
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        if ep.name in seen:  # the same package installed twice (editable + site)
            continue
        seen.add(ep.name)
        opts = dict(config.get(ep.name, {}))
        info = PluginInfo(
            name=ep.name,
            target=ep.value,
            dist=ep.dist.name if ep.dist else "",
            enabled=opts.pop("enabled", True),
        )
        registry.infos.append(info)
        priority = opts.pop("priority", None)
        if not info.enabled:
            continue
        try:
            cls = ep.load()
            plugin = cls(opts)
            if not isinstance(plugin, FormatPlugin):
                raise TypeError(f"{ep.value} is not a tuirag FormatPlugin")
        except Exception as exc:  # a third party's bug must not stop the others
            info.error = f"{type(exc).__name__}: {exc}"
            continue
        info.plugin = plugin
        info.extensions = tuple(plugin.extensions)
        info.priority = priority if isinstance(priority, int) else plugin.priority
    return registry
