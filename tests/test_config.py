"""Config: discovery, validation errors that name key and file, and the example file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tuirag import config, config_file
from tuirag.cli.main import main


def test_defaults_when_no_file(tmp_path: Path) -> None:
    settings = config.load()
    assert config.paths.config_file() == tmp_path / "xdg-config" / "tuirag" / "config.toml"
    assert settings.search.mode == "hybrid"
    assert settings.source is None


def test_explicit_missing_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(config.ConfigError, match="not found"):
        config.load(tmp_path / "nope.toml")
    monkeypatch.setenv("TUIRAG_CONFIG", str(tmp_path / "env.toml"))
    with pytest.raises(config.ConfigError, match=r"env\.toml: config file not found"):
        config.load()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[index]\nfolderz = []\n", "unknown key 'folderz' in [index]"),
        ("[indexx]\n", "unknown section [indexx]"),
        ("[search]\ntop_k = 'five'\n", "search.top_k must be an integer"),
        ("[index]\nfolders = [1]\n", "index.folders must be a list of a string"),
        (
            "[search]\nmode = 'magic'\n",
            "search.mode = 'magic'; expected one of hybrid, vector, fts",
        ),
        ("[index\n", "not valid TOML"),
        ("[plugins]\npdf = 3\n", "[plugins] must hold tables"),
        ("[ui.keys]\nregen = 'ctrl+g'\n", "ui.keys.regen is not an action that has a key"),
        ("[ui.keys]\nstop = 'escape,ctlr+c'\n", "ui.keys.stop = 'escape,ctlr+c': 'ctlr+c' is not"),
        ("[ui.keys]\nstop = 'Escape'\n", "'Escape' is not a key"),
        ("[ui.keys]\nstop = ''\n", "'' is not a key"),
        ("[ui.keys]\nstop = ['escape']\n", "ui.keys.stop must be a string"),
        ("[ui]\nkeys = 'ctrl+g'\n", "ui.keys must be a table"),
        (
            "[ui.keys]\nregenerate = 'ctrl+n'\n",
            "ui.keys: 'ctrl+n' would be both regenerate and new_chat on the chat screen",
        ),
        ("[ui.keys]\nrescan = 'f3'\n", "'f3' would be both show_index and rescan on the index"),
    ],
)
def test_bad_config_names_key_and_file(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(config.ConfigError) as info:
        config.load(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_bad_config_on_the_command_line_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[search]\ntop_k = true\n")
    assert main(["--config", str(path), "status"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"tuirag: {path}: search.top_k must be an integer, got True"
    ]


def test_int_accepted_for_float(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[index]\nmax_file_mb = 2\n")
    assert config.load(path).index.max_file_mb == 2.0


def test_config_init_writes_commented_file_that_loads(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "init"]) == 0
    path = config.paths.config_file()
    text = path.read_text()
    assert "# Folders that `tuirag ingest`" in text
    assert config.load(path).embedder.model == config.Settings().embedder.model
    assert main(["config", "init"]) == 1  # refuses to overwrite
    assert "exists" in capsys.readouterr().err


def test_example_file_documents_every_key_with_its_default() -> None:
    example = Path(__file__).parent.parent / "config.example.toml"
    text = example.read_text()
    assert text == config_file.render(config.Settings()), "regenerate config.example.toml"
    parsed = tomllib.loads(text)
    for section, values in config.to_dict(config.Settings()).items():
        assert parsed[section] == values
        for key in values:
            assert f"{section}.{key}" in config_file.DOCS, f"{section}.{key} has no comment"


def test_remapped_keys_are_written_back_under_ui_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[ui.keys]\nregenerate = 'ctrl+g'\nstop = 'escape,ctrl+c'\nhelp = '?'\n")
    settings = config.load(path)
    assert settings.ui.keys == {"regenerate": "ctrl+g", "stop": "escape,ctrl+c", "help": "?"}
    config_file.write(path, settings)  # as the app does when it adds a folder
    text = path.read_text()
    assert '[ui.keys]\nregenerate = "ctrl+g"\nstop = "escape,ctrl+c"\nhelp = "?"\n' in text
    assert '\n# new_chat = "ctrl+n"\n' in text  # an action left alone: its default, commented
    assert config.load(path).ui.keys == settings.ui.keys


def test_ollama_host_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11434")
    assert config.Settings().ollama.resolved_host() == "http://gpu-box:11434"
    monkeypatch.delenv("OLLAMA_HOST")
    assert config.Settings().ollama.resolved_host() == "http://127.0.0.1:11434"
