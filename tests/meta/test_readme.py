"""The README tells the truth: its generated tables match the code."""

from __future__ import annotations

from pathlib import Path

from identity.app import create_app
from identity.config import Settings
from identity.docs import render_readme

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_tables_match_the_code() -> None:
    current = README.read_text(encoding="utf-8")
    routes = create_app(Settings(env="development")).routes

    assert render_readme(current, routes) == current, "README is stale: run 'make readme'"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (README.parent / ".ci" / "run").read_text()

    assert "make test" in ci
    assert "make test" in README.read_text()
