"""Mail of the login step: the code of a pending login, and email codes turned off."""

from __future__ import annotations

from string import Template

from identity.mail.templates import _HTML_PAGE, TEMPLATES, MailTemplate

_CODE_INTRO = "Someone signed in to your account with your password. To finish, enter this code:"
_CODE_NEXT = "If it was not you, do not share the code: change your password, someone knows it."
_OFF = "Login codes by email were turned off for your account."
_NOT_YOU = "If you did not make this change, reset your password and contact support."

TEMPLATES["mfa_email_code"] = MailTemplate(
    subject="Your login code",
    text=Template(
        f"$greeting\n\n{_CODE_INTRO}\n\nLogin code: $code\n\n"
        f"The code expires in $expires_minutes minutes.\n\n{_CODE_NEXT}\n"
    ),
    html=Template(
        _HTML_PAGE.safe_substitute(
            body=f"<p>{_CODE_INTRO}</p>\n<p>Login code: <strong><code>$code</code></strong></p>\n"
            "<p>The code expires in $expires_minutes minutes.</p>",
            footer=_CODE_NEXT,
        )
    ),
    required=frozenset({"code", "expires_minutes"}),
)
TEMPLATES["mfa_email_disabled"] = MailTemplate(
    subject="Login codes by email were turned off",
    text=Template(f"$greeting\n\n{_OFF}\n\n{_NOT_YOU}\n"),
    html=Template(_HTML_PAGE.safe_substitute(body=f"<p>{_OFF}</p>", footer=_NOT_YOU)),
    required=frozenset(),
)
