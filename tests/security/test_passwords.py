from __future__ import annotations

from collections.abc import Iterator

import pytest

from identity.security.passwords import PasswordCheck, PasswordHasher


@pytest.fixture(scope="module")
def hasher() -> Iterator[PasswordHasher]:
    hasher = PasswordHasher(max_workers=2)
    yield hasher
    hasher.close()


async def test_a_hash_verifies_with_its_password(hasher: PasswordHasher) -> None:
    # Given a password hashed with the default (OWASP minimum) parameters
    password_hash = await hasher.hash("correct horse battery staple")

    # When the same password is checked
    check = await hasher.verify(password_hash, "correct horse battery staple")

    # Then it is valid and the hash is current
    assert password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert check == PasswordCheck(valid=True, needs_rehash=False)


async def test_a_wrong_password_is_invalid(hasher: PasswordHasher) -> None:
    password_hash = await hasher.hash("correct horse battery staple")

    check = await hasher.verify(password_hash, "correct horse battery stapler")

    assert check == PasswordCheck(valid=False, needs_rehash=False)


async def test_hashing_is_salted(hasher: PasswordHasher) -> None:
    first = await hasher.hash("same password")
    second = await hasher.hash("same password")

    assert first != second


async def test_an_unknown_account_verifies_against_the_dummy_hash_and_is_invalid() -> None:
    # Given a fresh hasher that has not made its dummy hash yet
    hasher = PasswordHasher(max_workers=1)
    try:
        assert hasher._dummy_hash is None

        # When a password is checked for an account that does not exist
        check = await hasher.verify(None, "identity-dummy-password-for-unknown-accounts")

        # Then the dummy hash was made and verified, yet the answer is invalid
        assert check == PasswordCheck(valid=False, needs_rehash=False)
        assert hasher._dummy_hash is not None
        assert hasher._dummy_hash.startswith("$argon2id$")
    finally:
        hasher.close()


@pytest.mark.parametrize(
    "corrupt",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=19456,t=2,p=1$",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bm90LWEtcmVhbC1oYXNo!!",
        "$2b$12$abcdefghijklmnopqrstuuQ1b4cJ1fZ0bK1tG7N9r0Xy6V2hZ3lq",
    ],
)
async def test_a_corrupt_hash_is_invalid_and_does_not_raise(
    hasher: PasswordHasher, corrupt: str
) -> None:
    check = await hasher.verify(corrupt, "whatever password")

    assert check == PasswordCheck(valid=False, needs_rehash=False)


async def test_a_hash_made_with_other_parameters_needs_rehash(hasher: PasswordHasher) -> None:
    # Given a hash made with a cheaper time cost
    cheap = PasswordHasher(time_cost=1, memory_cost=8192, max_workers=1)
    try:
        old_hash = await cheap.hash("correct horse battery staple")
    finally:
        cheap.close()

    # When the current hasher verifies it
    check = await hasher.verify(old_hash, "correct horse battery staple")

    # Then it is valid but should be rehashed
    assert check == PasswordCheck(valid=True, needs_rehash=True)


@pytest.mark.parametrize(
    "typed",
    ["secret password ", " secret password", "Secret password", "secret  password"],
)
async def test_passwords_are_compared_exactly_as_typed(hasher: PasswordHasher, typed: str) -> None:
    password_hash = await hasher.hash("secret password")

    check = await hasher.verify(password_hash, typed)

    assert check.valid is False


async def test_unicode_is_not_normalised(hasher: PasswordHasher) -> None:
    # Given a password with a precomposed é (U+00E9)
    password_hash = await hasher.hash("caf\u00e9 au lait")

    # Then the decomposed form (e + U+0301) is a different password
    assert (await hasher.verify(password_hash, "caf\u00e9 au lait")).valid is True
    assert (await hasher.verify(password_hash, "cafe\u0301 au lait")).valid is False


async def test_long_passwords_are_not_truncated(hasher: PasswordHasher) -> None:
    password = "x" * 200
    password_hash = await hasher.hash(password)

    assert (await hasher.verify(password_hash, password + "y")).valid is False
    assert (await hasher.verify(password_hash, password[:72])).valid is False
