"""The Gate's caches are bounded by count, not by size (attack G4).

``schema/extensions.py`` keeps the last 1,024 parsed documents (``_parse``, an
``lru_cache``), their validation errors and directive verdicts, keyed by the document's text,
whatever its size. A document of 1,900 fields (14 KB, under the 2,000-token and 50,000
character limits) keeps ~1.2 MB (its parsed nodes with locations, and for unknown fields
1,900 validation errors; ``Gate.validations`` and ``Gate.shapes`` hold the same
texts as ``_parse``): measured on a live server, 60 such distinct documents sent
without signing in raised its RSS from 153 to 229 MB (1.27 MB each); 1,024 of them would
keep ~1.3 GB. Fixed: a document longer than ``schema.kept.LONGEST`` is not kept, and
each cache is bounded in characters of text (``schema.kept``).
"""

from __future__ import annotations

import httpx
import pytest

from schema.extensions import Gate

UNKNOWN_FIELDS = "{ " + " ".join(f"g4_{n}" for n in range(1900)) + " }"
REPEATED_FIELD = "{ me { " + "email " * 1900 + "} }"


@pytest.mark.parametrize("document", [UNKNOWN_FIELDS, REPEATED_FIELD], ids=["unknown", "valid"])
async def test_a_large_document_is_not_kept(client: httpx.AsyncClient, document: str) -> None:
    await client.post("/graphql", json={"query": document})
    kept = [key for key in Gate.validations if document in key]
    assert not kept
    assert document not in Gate.shapes
