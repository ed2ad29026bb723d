"""Notices about a user's second factors: none carries a token or a link; each tells the
account's owner what changed, so a change they did not make is seen."""

from __future__ import annotations

from string import Template

from identity.mail.templates import _HTML_PAGE, TEMPLATES, MailTemplate

_NOT_YOU = "If you did not make this change, reset your password and contact support."


def _notice(subject: str, text: str, *, required: frozenset[str] = frozenset()) -> MailTemplate:
    return MailTemplate(
        subject=subject,
        text=Template(f"$greeting\n\n{text}\n\n{_NOT_YOU}\n"),
        html=Template(_HTML_PAGE.safe_substitute(body=f"<p>{text}</p>", footer=_NOT_YOU)),
        required=required,
    )


TEMPLATES["mfa_factor_added"] = _notice(
    "A second factor was added to your account",
    "A new second factor was added to your account: $factor.",
    required=frozenset({"factor"}),
)
TEMPLATES["mfa_disabled"] = _notice(
    "Multi-factor authentication was turned off",
    "Multi-factor authentication was turned off for your account: every second factor, "
    "backup code and trusted device was removed. A password alone now signs you in.",
)
TEMPLATES["mfa_reset"] = _notice(
    "An administrator reset your multi-factor authentication",
    "An administrator reset the multi-factor authentication of your account: every second "
    "factor, backup code and trusted device was removed. Set up a second factor again.",
)
TEMPLATES["mfa_backup_codes_low"] = _notice(
    "Few backup codes remain",
    "A backup code of your account was used: $remaining remain. Generate new backup codes "
    "before you run out.",
    required=frozenset({"remaining"}),
)
