"""Sealing text at rest: AES-GCM under a key derived from the service secret."""

from __future__ import annotations

import pytest

from identity.security.sealing import SEALED_PREFIX, SealBroken, Sealer

INFO = b"identity tests v1"


def sealer(secret: str = "s" * 40, info: bytes = INFO) -> Sealer:
    return Sealer(lambda: secret, info=info)


def test_sealed_text_opens_to_the_original() -> None:
    text = "Hello, your code is tok-123 \u00e9\u4e2d \ud800"

    sealed = sealer().seal(text)

    assert sealed.startswith(SEALED_PREFIX)
    assert "tok-123" not in sealed
    assert sealer().open(sealed) == text


def test_text_that_was_never_sealed_comes_back_unchanged() -> None:
    assert sealer().open("plain body with tok-123") == "plain body with tok-123"


@pytest.mark.parametrize(
    "other",
    [sealer(secret="t" * 40), sealer(info=b"another use v1")],
    ids=["another secret", "another use"],
)
def test_another_key_cannot_open_it(other: Sealer) -> None:
    with pytest.raises(SealBroken):
        other.open(sealer().seal("tok-123"))


@pytest.mark.parametrize("body", ["", "AAAA", "!!!not base64!!!", "A" * 40])
def test_garbage_after_the_prefix_is_refused(body: str) -> None:
    with pytest.raises(SealBroken):
        sealer().open(SEALED_PREFIX + body)


def test_the_secret_is_read_only_when_first_needed() -> None:
    reads: list[str] = []

    def secret() -> str:
        reads.append("read")
        return "s" * 40

    lazy = Sealer(secret, info=INFO)
    assert reads == []
    lazy.open(lazy.seal("a"))
    lazy.seal("b")
    assert reads == ["read"]
