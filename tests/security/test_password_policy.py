from __future__ import annotations

from typing import Any

import pytest

from identity.errors import PasswordRejected, ValidationFailed
from identity.security.password_policy import (
    MAX_LENGTH,
    MIN_LENGTH,
    check_password,
    common_passwords,
)


def _rejection(password: str, **kwargs: Any) -> PasswordRejected:
    with pytest.raises(PasswordRejected) as caught:
        check_password(password, **kwargs)
    return caught.value


def test_the_bounds_are_nist_defaults() -> None:
    assert (MIN_LENGTH, MAX_LENGTH) == (8, 256)


def test_a_short_password_is_refused_with_a_clear_message() -> None:
    error = _rejection("k7#Qz!p")

    assert error.code == "PASSWORD_TOO_SHORT"
    assert error.message == "Password must be at least 8 characters"
    assert error.field == "password"
    assert error.details == {"reason": "PASSWORD_TOO_SHORT"}
    assert isinstance(error, ValidationFailed)


def test_eight_characters_are_accepted() -> None:
    check_password("k7#Qz!pW")


def test_a_raised_minimum_is_honoured_and_named_in_the_message() -> None:
    error = _rejection("k7#Qz!pWx2", min_length=12)

    assert error.code == "PASSWORD_TOO_SHORT"
    assert error.message == "Password must be at least 12 characters"


def test_length_counts_code_points_not_bytes() -> None:
    # Given eight code points that take more than eight bytes in UTF-8
    password = "ðæŋ€ŧ→øþ"
    assert len(password.encode("utf-8")) > 8

    # Then it is long enough, and seven of them are not
    check_password(password)
    assert _rejection(password[:7]).code == "PASSWORD_TOO_SHORT"


def test_256_characters_are_accepted_and_257_refused() -> None:
    check_password("aB3$" * 64)

    error = _rejection("aB3$" * 64 + "z")

    assert error.code == "PASSWORD_TOO_LONG"
    assert error.message == "Password must be at most 256 characters"


@pytest.mark.parametrize(
    "password", ["password1", "123456789", "PassWord1", "Iloveyou", "qwerty123"]
)
def test_a_common_password_is_refused(password: str) -> None:
    error = _rejection(password)

    assert error.code == "PASSWORD_TOO_COMMON"
    assert "too common" in error.message


def test_no_composition_rules_apply() -> None:
    # Lower-case letters only, long and uncommon: accepted.
    check_password("gravel lantern orbit")


@pytest.mark.parametrize(
    ("password", "email", "username"),
    [
        ("alice.smith@example.com", "Alice.Smith@example.com", None),
        ("ALICE.SMITH", "alice.smith@example.com", None),
        ("Wonderland99", None, "wonderland99"),
        ("wonderland99", "someone@example.com", "WONDERLAND99"),
    ],
)
def test_a_password_matching_the_account_is_refused(
    password: str, email: str | None, username: str | None
) -> None:
    with pytest.raises(PasswordRejected) as caught:
        check_password(password, email=email, username=username)

    assert caught.value.code == "PASSWORD_MATCHES_ACCOUNT"


def test_a_password_containing_but_not_equal_to_the_account_is_accepted() -> None:
    check_password("alice.smith is mine", email="alice.smith@example.com", username="alice")


def test_the_field_is_reported() -> None:
    with pytest.raises(PasswordRejected) as caught:
        check_password("short", field="newPassword")

    assert caught.value.field == "newPassword"


def test_the_common_list_has_exactly_ten_thousand_lower_case_entries() -> None:
    passwords = common_passwords()

    assert len(passwords) == 10_000
    assert {"123456", "password", "password1", "123456789", "qwerty"} <= passwords
    assert all(entry == entry.lower() and entry.strip() == entry for entry in passwords)
