"""docs/rate-limits.md names every budget of the catalogue with its default."""

from __future__ import annotations

from pathlib import Path

import pytest

from identity.ratelimit import DEFAULTS, Budget

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rate-limits.md").read_text()


@pytest.mark.parametrize("budget", list(Budget), ids=lambda b: b.value)
def test_every_budget_is_documented(budget: Budget) -> None:
    assert f"`{budget.value}`" in DOC
    amount = DEFAULTS[budget][0].split("/")[0]
    assert amount in DOC
