"""The shared field rules: lengths, control characters, https URLs (pure, no database)."""

from __future__ import annotations

import pytest

from identity.errors import ValidationFailed
from identity.services.text_rules import clean_text, has_control_characters, https_url


@pytest.mark.parametrize(
    "value",
    ["Ann\x1b[31m", "Ann\x00", "Ann\n", "Ann\t", "evil\u202egnp", "zero\u200bwidth", "a\ud800"],
)
def test_control_and_invisible_characters_are_refused_not_stripped(value: str) -> None:
    assert has_control_characters(value)
    with pytest.raises(ValidationFailed) as caught:
        clean_text(value, field="first_name", max_length=150)
    assert caught.value.field == "first_name"
    assert caught.value.details["reason"] == "CONTROL_CHARACTERS"


@pytest.mark.parametrize("value", ["Ann Lee", "Zoë", "Ægir", "山田", "O'Brien-Smith", ""])
def test_ordinary_names_pass_unchanged(value: str) -> None:
    assert clean_text(value, field="first_name", max_length=150) == value


def test_length_counts_code_points() -> None:
    assert clean_text("é" * 150, field="first_name", max_length=150) == "é" * 150
    with pytest.raises(ValidationFailed) as caught:
        clean_text("é" * 151, field="first_name", max_length=150)
    assert caught.value.details == {"reason": "TOO_LONG", "max_length": 150}


def test_none_stays_none() -> None:
    assert clean_text(None, field="x", max_length=1) is None
    assert https_url(None, field="avatar_url") is None


@pytest.mark.parametrize(
    "value",
    [
        "http://example.com/a.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "https://",
        "https:///path",
        "//example.com/a.png",
        "https://exa mple.com/a.png",
        "https://[::1",
        "https://example.com/\x00.png",
        "https://example.com/" + "a" * 2029,
    ],
)
def test_avatar_url_must_be_a_short_https_url(value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        https_url(value, field="avatar_url")
    assert caught.value.field == "avatar_url"


def test_https_url_of_exactly_2048_characters_passes() -> None:
    url = "https://example.com/" + "a" * 2028
    assert len(url) == 2048
    assert https_url(url, field="avatar_url") == url
