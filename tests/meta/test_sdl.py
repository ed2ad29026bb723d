"""The committed GraphQL SDL (``schema.graphql``) is what the code serves."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.test_cli import IDENTITY

REPO = Path(__file__).resolve().parents[2]


def test_schema_graphql_matches_the_code() -> None:
    exported = subprocess.run(
        [IDENTITY, "export-schema"], capture_output=True, text=True, check=True, timeout=60
    )

    assert (REPO / "schema.graphql").read_text() == exported.stdout, (
        "schema.graphql is stale: run 'identity export-schema > schema.graphql'"
    )
