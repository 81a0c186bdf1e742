"""How big a window answers ask for: from the answer budget, rounded to a few fixed sizes."""

from __future__ import annotations

from tuirag.backends.chat import window
from tuirag.config import AnswerSettings, OllamaSettings


def test_the_default_budget_fits_4096() -> None:
    needed = AnswerSettings().context_needed()
    assert 3000 < needed <= 4096
    assert window(needed, 32768, OllamaSettings()) == 4096


def test_window_rounds_up_to_fixed_sizes_so_nearby_budgets_share_one() -> None:
    ollama = OllamaSettings()  # max_ctx 16384
    assert [window(n, 32768, ollama) for n in (1, 2048, 2049, 4000, 4097, 9000)] == [
        2048,
        2048,
        4096,
        4096,
        8192,
        16384,
    ]
    assert window(20000, 32768, ollama) == 16384  # capped by ollama.max_ctx
    assert window(5000, 6144, ollama) == 6144  # and by the model's own length
    assert window(0, 32768, ollama) == 16384  # no budget: the largest allowed
    assert window(3000, 32768, OllamaSettings(num_ctx=3000)) == 3000  # set explicitly: as is


def test_budget_grows_with_sources_history_answer_and_a_long_system_prompt() -> None:
    default = AnswerSettings()
    base = default.context_needed()
    assert (
        AnswerSettings(source_tokens=default.source_tokens + 2000).context_needed() == base + 2000
    )
    assert AnswerSettings(max_answer_tokens=2048).context_needed() == base + 1024
    no_history = base - default.history_tokens
    assert AnswerSettings(history_turns=0).context_needed() == no_history  # none sent
    assert AnswerSettings(system_prompt="x" * 3000).context_needed() == base + 1000
    assert AnswerSettings(source_tokens=0).context_needed() == 0  # no cap: fill the window
