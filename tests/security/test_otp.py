"""TOTP steps and drift, codes used once, backup and mailed codes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from identity.security import otp

NOW = datetime(2026, 11, 30, 12, 0, 15, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_secret_has_160_bits_in_base32() -> None:
    secret = otp.new_totp_secret()
    assert len(secret) == 32
    assert secret != otp.new_totp_secret()


def test_a_code_of_the_step_before_now_or_after_is_accepted_and_no_further() -> None:
    step = otp.step_at(NOW)
    for drift in (-1, 0, 1):
        code = otp.totp_code(SECRET, step + drift)
        assert otp.matching_step(SECRET, code, now=NOW, after_step=None) == step + drift
    for drift in (-2, 2):
        code = otp.totp_code(SECRET, step + drift)
        assert otp.matching_step(SECRET, code, now=NOW, after_step=None) is None


def test_a_code_of_a_step_already_accepted_or_earlier_is_refused() -> None:
    step = otp.step_at(NOW)
    code = otp.totp_code(SECRET, step)
    assert otp.matching_step(SECRET, code, now=NOW, after_step=step) is None
    assert otp.matching_step(SECRET, code, now=NOW, after_step=step - 1) == step


def test_the_step_changes_at_the_second() -> None:
    boundary = datetime(2026, 11, 30, 12, 0, 30, tzinfo=UTC)
    assert otp.step_at(boundary) == otp.step_at(boundary - timedelta(seconds=1)) + 1


def test_malformed_codes_never_match() -> None:
    fullwidth = "\uff11\uff12\uff13\uff14\uff15\uff16"
    for code in ("", "12345", "1234567", "abcdef", "12 345", fullwidth):
        assert otp.matching_step(SECRET, code, now=NOW, after_step=None) is None


def test_the_provisioning_uri_names_issuer_and_account() -> None:
    uri = otp.provisioning_uri(SECRET, account="user@example.com", issuer="ModernAuth")
    assert uri.startswith("otpauth://totp/ModernAuth:user%40example.com?secret=" + SECRET)
    assert "issuer=ModernAuth" in uri


def test_backup_codes_avoid_look_alikes_and_normalize() -> None:
    codes = otp.new_backup_codes()
    assert len(codes) == 10 == len(set(codes))
    assert all(len(c) == 10 and not set(c) & set("01OIL") for c in codes)
    spaced = f"{codes[0][:5].lower()}-{codes[0][5:]}"
    assert otp.normalized_backup_code(spaced) == codes[0]
    assert otp.normalized_backup_code("0" * 10) is None
    assert otp.normalized_backup_code(codes[0] + "2") is None


def test_backup_code_digests_are_bound_to_their_user() -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    assert otp.backup_code_hash(one, "ABCDEFGHJK") != otp.backup_code_hash(two, "ABCDEFGHJK")


def test_email_codes_are_six_digits() -> None:
    codes = {otp.new_email_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 40
