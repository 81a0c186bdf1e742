"""Local Ollama models: which are pulled, which is loaded (and its VRAM), pull, choose."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, ProgressBar, Static

from tuirag.screens.bindings import bind, focus_keys
from tuirag.screens.prompt import PromptScreen
from tuirag.text import human_bytes
from tuirag.widgets.safe import untrusted
from tuirag.widgets.status import StatusLine

if TYPE_CHECKING:
    from tuirag.app import TuiragApp
    from tuirag.backends.ollama_llm import LoadedModel, ModelInfo


# does the model fit the free VRAM (NVML)? No: Ollama would put part of it on the CPU
FIT_LABELS = {
    True: Text("yes"),
    False: Text("no: part on CPU", style="bold yellow"),
    None: Text("?", style="dim"),
}


class ModelsScreen(Screen[None]):
    app: TuiragApp

    BINDINGS: ClassVar[list[BindingType]] = [
        *focus_keys(),
        bind("use_model", "use_model", "Use model", show=False),
        bind("pull_model", "pull", "Pull a model"),
        bind("refresh", "refresh_models", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("", id="ollama-info")
        yield Label("Local models (Enter makes one the answering model)", classes="section")
        table: DataTable[object] = DataTable(id="model-table", cursor_type="row")
        table.add_columns(
            " ", "Model", "File", "VRAM needed", "Fits", "Quant", "Params", "Max context"
        )
        yield table
        yield Static("", id="pull-state", classes="hint")
        yield ProgressBar(id="pull-progress", show_eta=False)
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pull-progress").display = False

    def on_screen_resume(self) -> None:
        self.action_refresh_models()
        self.query_one("#model-table").focus()

    @work(exclusive=True, exit_on_error=False, group="models")
    async def action_refresh_models(self) -> None:
        import asyncio

        from tuirag.backends.chat import LlmError
        from tuirag.backends.gpu import free_vram

        llm = self.app.ollama
        try:
            version = await llm.version()
            models = await llm.list_models()
            loaded = await llm.running()
            contexts = {m.name: await llm.context_length(m.name) for m in models}
            needs = {m.name: await llm.vram_estimate(m.name, m.size) for m in models}
        except LlmError as exc:
            self.app.set_status(ollama="down")
            self._show_down(exc.message)
            return
        free = await asyncio.to_thread(free_vram)
        if self.app.settings.answer.backend == "ollama":
            answering = next((m for m in loaded if m.name == llm.model), None)
            share = None if answering is None else answering.gpu_share
            self.app.set_status(ollama="up", gpu_share=share)
        self._show(version, models, loaded, contexts, needs, free)

    def _show_down(self, message: str) -> None:
        info = Text("Ollama: ", style="bold") + untrusted(message)
        info.append("\nSearch still works: questions show the matching passages.", style="dim")
        self.query_one("#ollama-info", Static).update(info)
        self.query_one("#model-table", DataTable).clear()

    def _show(
        self,
        version: str,
        models: list[ModelInfo],
        loaded: list[LoadedModel],
        contexts: dict[str, int],
        needs: dict[str, tuple[int, int | None]],
        free: int | None,
    ) -> None:
        from tuirag.backends.gpu import fits, offload_warning

        llm = self.app.ollama
        info = Text(f"Ollama {version} at ", style="bold") + untrusted(llm.host)
        if self.app.settings.answer.backend != "ollama":
            info.append(f"\nanswering in-process with llama.cpp ({self.app.llm.model}); ")
            info.append("Enter on a model answers with it through Ollama instead", style="dim")
        for running in loaded:
            info.append("\nloaded: ")
            info.append_text(untrusted(running.name))
            context = f" for context {running.context_length}" if running.context_length else ""
            info.append(f" · {human_bytes(running.size)} (weights + KV cache{context}) · ")
            warning = offload_warning(running.name, running.gpu_share)
            if warning:
                info.append(warning.removeprefix(f"model {running.name} "), style="bold yellow")
            else:
                info.append("100% on GPU")
        if not loaded:
            info.append("\nno model loaded right now", style="dim")
        info.append(
            "\nFile: the model file · VRAM needed: weights + KV cache for the window answers "
            "use + runtime (an estimate) · free VRAM: "
            + ("unknown (pip install 'tuirag[nvml]')" if free is None else human_bytes(free)),
            style="dim",
        )
        self.query_one("#ollama-info", Static).update(info)
        table = self.query_one("#model-table", DataTable)
        table.clear()
        for m in sorted(models, key=lambda m: m.name):
            active = "●" if m.name == self.app.settings.ollama.model else ""
            num_ctx, needed = needs[m.name]
            fit = fits(needed, free)
            table.add_row(
                active,
                untrusted(m.name),
                human_bytes(m.size),
                "?" if needed is None else f"{human_bytes(needed)} at {num_ctx}",
                FIT_LABELS[fit],
                untrusted(m.quantization),
                untrusted(m.parameter_size),
                str(contexts.get(m.name, "?")),
                key=m.name,
            )
        if not models:
            self.query_one("#pull-state", Static).update(
                untrusted(
                    f"No models pulled yet: press {self.app.key_label('pull_model')} "
                    f"and pull {self.app.settings.ollama.model}"
                )
            )

    def action_use_model(self) -> None:
        table = self.query_one("#model-table", DataTable)
        if not table.row_count:
            return
        name = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self.app.use_model(name)
        self.action_refresh_models()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_use_model()

    def action_pull(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.pull(name)

        default = self.app.settings.ollama.model
        self.app.push_screen(PromptScreen("Pull which model?", default), chosen)

    @work(exclusive=True, exit_on_error=False, group="pull")
    async def pull(self, name: str) -> None:
        import contextlib

        from tuirag.backends.chat import LlmError

        bar = self.query_one("#pull-progress", ProgressBar)
        state = self.query_one("#pull-state", Static)
        bar.display = True
        bar.update(total=None, progress=0)
        try:
            async with contextlib.aclosing(self.app.ollama.pull(name)) as progress:
                async for step in progress:
                    if step.total:
                        bar.update(total=step.total, progress=step.completed or 0)
                    state.update(untrusted(f"{name}: {step.status}"))
        except LlmError as exc:
            state.update(untrusted(f"{name}: {exc.message}", "red"))
            return
        finally:
            bar.display = False
        state.update(untrusted(f"{name}: pulled"))
        self.action_refresh_models()
