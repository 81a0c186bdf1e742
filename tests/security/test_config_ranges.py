"""Config numbers that make no sense are refused with one line naming key, value and range
(issue 15, item 11), as wrong types and unknown keys already are."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import tuirag
from tuirag import config


@pytest.mark.parametrize(
    ("section", "key", "value", "want"),
    [
        ("search", "top_k", -5, "between 1 and 1000"),
        ("parsing", "timeout_s", 0, "at least 1"),
        ("chunking", "max_tokens", 0, "between 16 and 8192"),
        ("answer", "top_k", 0, "between 1 and 100"),
        ("ollama", "timeout_s", -1, "at least 1"),
        ("ollama", "temperature", 7.5, "between 0 and 2"),
        ("answer", "max_answer_tokens", 0, "at least 1"),
        ("index", "max_file_mb", -1, "at least 0.001"),
    ],
)
def test_out_of_range_values_are_refused(
    section: str, key: str, value: float, want: str, tmp_path: Path
) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.from_dict({section: {key: value}}, "cfg.toml")
    assert str(err.value) == f"cfg.toml: {section}.{key} = {value!r} makes no sense; use {want}"


def test_sensible_edges_are_accepted() -> None:
    s = config.from_dict(
        {
            "search": {"top_k": 1},
            "parsing": {"timeout_s": 1, "memory_mb": 0},
            "ollama": {"num_gpu": -1},
        }
    )
    assert s.search.top_k == 1 and s.parsing.memory_mb == 0 and s.ollama.num_gpu == -1


def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[search]\ntop_k = -5\n")
    result = tuirag("--config", str(cfg), "search", "anything")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"tuirag: {cfg}: search.top_k = -5 makes no sense; use between 1 and 1000"
    ]
