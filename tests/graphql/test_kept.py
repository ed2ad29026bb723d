"""What is kept per document text is bounded in count and in characters (attack G4), least
recently used dropped first; a long text is never kept. The plan cache counts each plan's
document, so a long document's plans are not kept either."""

from __future__ import annotations

import httpx

from schema import kept
from schema.kept import KeptByText
from schema.short_path import _KEPT_PLANS
from tests.factories import login_token, register
from tests.support.graphql import gql


def test_bounded_in_count_and_characters() -> None:
    cache: KeptByText[str, int] = KeptByText(count=3, chars=10, longest=6)
    cache.put("a", 4, 1)
    cache.put("b", 4, 2)
    assert cache.get("a") == 1  # now the most recent
    cache.put("c", 4, 3)  # 12 characters: the least recent ("b") goes
    assert list(cache) == ["a", "c"]
    assert cache.kept_chars == 8
    cache.put("d", 7, 4)  # longer than ``longest``: not kept, nothing dropped
    assert "d" not in cache
    assert list(cache) == ["a", "c"]
    cache.put("e", 1, 5)
    cache.put("f", 1, 6)  # four entries: the oldest ("a") goes
    assert list(cache) == ["c", "e", "f"]
    assert cache.kept_chars == 6
    cache.put("c", 2, 7)  # replaced: its old length no longer counts
    assert cache.get("c") == 7
    assert cache.kept_chars == 4
    assert len(cache) == 3


async def test_a_long_documents_plans_are_not_kept(client: httpx.AsyncClient) -> None:
    await register(client, "kept@example.com")
    token = await login_token(client, "kept@example.com")
    padding = " " * kept.LONGEST
    long_document = "{ me { id email } }" + padding
    _KEPT_PLANS.clear()
    body = await gql(client, long_document, token=token)
    assert body["data"]["me"]["email"] == "kept@example.com"
    assert len(_KEPT_PLANS) == 0
    assert (await gql(client, "{ me { id email } }", token=token))["data"]["me"]["id"]
    assert len(_KEPT_PLANS) > 0
