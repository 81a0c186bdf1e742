"""The command palette also searches your files: type words, Enter opens the passage.

The search waits for the index to open, or for its first files when it is being built
for the first time (the palette shows it is busy meanwhile), so a search typed on the
first frame finds what is indexed instead of nothing.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.command import Hit, Hits, Provider

from tuirag.screens.common import open_preview
from tuirag.widgets.safe import short_path, untrusted

if TYPE_CHECKING:
    from tuirag.app import TuiragApp

MIN_CHARS = 3  # shorter queries match commands only
PASSAGES = 5
SCORE = 0.5  # ranks below a command that matches the words well


class FileSearch(Provider):
    @property
    def tuirag(self) -> TuiragApp:
        return self.app  # type: ignore[return-value]

    async def search(self, query: str) -> Hits:
        if len(query.strip()) < MIN_CHARS:
            return
        app = self.tuirag
        await app.searchable(lambda _progress: None)  # the palette shows it is busy
        if app.index_error:
            return
        search = app.settings.search
        result = await asyncio.to_thread(
            app.services.retriever.search, query, PASSAGES, search.mode
        )
        roots = app.folders.roots()
        for rank, passage in enumerate(result.hits):
            where = short_path(passage.path, roots)
            label = Text("search: ", style="dim") + untrusted(where)
            if passage.locator:
                label += untrusted(f"  {passage.locator}", "italic")
            # the snippet goes in the Text, not in `help`: Textual parses help as markup
            label += untrusted("\n" + " ".join(passage.text.split())[:120], "dim")
            yield Hit(
                SCORE - rank * 0.01,
                label,
                partial(open_preview, self.app, passage, where),
                text=f"{where} {passage.locator}",
            )
