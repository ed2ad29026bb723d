"""The mail we send, as plain string templates: a subject, a text part and an HTML part.

Every value is escaped with ``html.escape`` before it goes into the HTML part. The text part
always carries the raw token, so API clients (and tests) that cannot follow a link can read it.
Links carry the token in their fragment (``…/reset-password#token=…``), never in the query.

Mail to an address nobody has proven yet is given no ``name`` by its senders: the greeting is
then a plain "Hello,", and no template puts other text a requester chose into such mail.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from string import Template


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class MailTemplate:
    subject: str
    text: Template
    html: Template
    required: frozenset[str]


_HTML_PAGE = Template(
    """<!doctype html>
<html>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
<p>$greeting</p>
$body
<p style="color: #666; font-size: 0.9em;">$footer</p>
</body>
</html>
"""
)

_BUTTON = '<p><a href="$link" style="font-weight: bold;">$action</a></p>'
_CODE = "<p>Or enter this code: <code>$token</code></p>"

_TOKEN_KEYS = frozenset({"link", "token", "expires_minutes"})


def _with_token(
    *, subject: str, intro: str, action: str, footer: str, extra: frozenset[str] = frozenset()
) -> MailTemplate:
    """A template whose mail carries a link and the raw token, and says when they expire."""
    text = (
        f"$greeting\n\n{intro}\n\n$link\n\nOr enter this code: $token\n\n"
        "The link and the code expire in $expires_minutes minutes.\n\n"
        f"{footer}\n"
    )
    body = (
        f"<p>{intro}</p>\n{_BUTTON.replace('$action', action)}\n{_CODE}\n"
        "<p>The link and the code expire in $expires_minutes minutes.</p>"
    )
    return MailTemplate(
        subject=subject,
        text=Template(text),
        html=Template(_HTML_PAGE.safe_substitute(body=body, footer=footer)),
        required=_TOKEN_KEYS | extra,
    )


_IN_USE = (
    "Someone asked to use this email address for another account. It already belongs to "
    "your account, so nothing was changed and no link was sent to anyone."
)
_IN_USE_NEXT = (
    "If it was you, sign in or reset your password. Otherwise you can ignore this message."
)

TEMPLATES: dict[str, MailTemplate] = {
    "verify_email": _with_token(
        subject="Verify your email address",
        intro="Confirm your email address by opening this link:",
        action="Verify email address",
        footer="If you did not create an account, you can ignore this message.",
    ),
    "password_reset": _with_token(
        subject="Reset your password",
        intro="Choose a new password by opening this link:",
        action="Reset password",
        footer="If you did not ask to reset your password, you can ignore this message; "
        "your password stays as it is.",
    ),
    "magic_link": _with_token(
        subject="Your sign-in link",
        intro="Sign in by opening this link:",
        action="Sign in",
        footer="If you did not ask to sign in, you can ignore this message.",
    ),
    "email_change_confirm": _with_token(
        subject="Confirm your new email address",
        intro="Confirm $new_email as the new email address of your account by opening this link:",
        action="Confirm new email address",
        footer="If you did not ask for this change, you can ignore this message; "
        "your email address stays as it is.",
        extra=frozenset({"new_email"}),
    ),
    "email_changed_notice": MailTemplate(
        subject="Your email address was changed",
        text=Template(
            "$greeting\n\nThe email address of your account was changed to $new_email.\n\n"
            "If you did not make this change, reset your password and contact support.\n"
        ),
        html=Template(
            _HTML_PAGE.safe_substitute(
                body="<p>The email address of your account was changed to "
                "<strong>$new_email</strong>.</p>",
                footer="If you did not make this change, reset your password and contact support.",
            )
        ),
        required=frozenset({"new_email"}),
    ),
    "address_in_use_notice": MailTemplate(
        subject="Someone tried to use your email address",
        text=Template(f"$greeting\n\n{_IN_USE}\n\n{_IN_USE_NEXT}\n"),
        html=Template(_HTML_PAGE.safe_substitute(body=f"<p>{_IN_USE}</p>", footer=_IN_USE_NEXT)),
        required=frozenset(),
    ),
}


_INVITED = (
    "You were invited to join an organization. Open this link to see who invited you and to accept:"
)
_INVITED_NEXT = "If you do not expect an invitation, you can ignore this message."
# No text the inviter chose (the organization's name, their name, their message): the
# address is unproven, so the accept page shows those once the token is presented.
TEMPLATES["invitation"] = MailTemplate(
    subject="You are invited to join an organization",
    text=Template(
        f"$greeting\n\n{_INVITED}\n\n$link\n\nOr enter this code: $token\n\n"
        f"The invitation expires in $expires_days days.\n\n{_INVITED_NEXT}\n"
    ),
    html=Template(
        _HTML_PAGE.safe_substitute(
            body=f"<p>{_INVITED}</p>\n{_BUTTON.replace('$action', 'See the invitation')}\n"
            f"{_CODE}\n<p>The invitation expires in $expires_days days.</p>",
            footer=_INVITED_NEXT,
        )
    ),
    required=frozenset({"link", "token", "expires_days"}),
)


def render(template: str, context: Mapping[str, str]) -> Rendered:
    """Render one template; raises ValueError for an unknown template or a missing value."""
    found = TEMPLATES.get(template)
    if found is None:
        raise ValueError(f"unknown mail template {template!r}")
    missing = found.required - context.keys()
    if missing:
        raise ValueError(f"mail template {template!r} needs {', '.join(sorted(missing))}")
    name = context.get("name", "").strip()
    values = {**context, "greeting": f"Hello {name}," if name else "Hello,"}
    escaped = {key: html.escape(value) for key, value in values.items()}
    return Rendered(
        subject=found.subject,
        text=found.text.substitute(values),
        html=found.html.substitute(escaped),
    )
