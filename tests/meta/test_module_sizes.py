"""Modules stay small enough to read in one sitting: none under identity/ or schema/ is over
600 lines (aim under 400). Split a module that grows past it by concern."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIMIT = 600
PACKAGES = ("identity", "schema")


def modules() -> list[Path]:
    return sorted(
        path.relative_to(REPO) for package in PACKAGES for path in (REPO / package).rglob("*.py")
    )


@pytest.mark.parametrize("module", modules(), ids=str)
def test_module_is_at_most_600_lines(module: Path) -> None:
    lines = len((REPO / module).read_text(encoding="utf-8").splitlines())

    assert lines <= LIMIT, f"{module} has {lines} lines (at most {LIMIT}): split it by concern"
