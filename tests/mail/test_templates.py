"""Templates: every mail has a subject, a text part with the raw token, an escaped HTML part."""

from __future__ import annotations

import pytest

from identity.mail.templates import TEMPLATES, render

TOKEN_TEMPLATES = ["verify_email", "password_reset", "magic_link", "email_change_confirm"]
CONTEXT = {
    "link": "https://app.example.com/go?token=abc-123&x=1",
    "token": "abc-123",
    "name": "Ann",
    "expires_minutes": "30",
    "new_email": "ann.new@example.com",
}


def test_the_documented_templates_exist() -> None:
    assert {*TOKEN_TEMPLATES, "email_changed_notice"} <= set(TEMPLATES)


@pytest.mark.parametrize("template", TOKEN_TEMPLATES)
def test_a_token_mail_carries_link_token_and_expiry(template: str) -> None:
    rendered = render(template, CONTEXT)

    assert rendered.subject
    assert "Hello Ann," in rendered.text
    assert CONTEXT["link"] in rendered.text
    assert "abc-123" in rendered.text
    assert "30 minutes" in rendered.text
    assert 'href="https://app.example.com/go?token=abc-123&amp;x=1"' in rendered.html
    assert "<code>abc-123</code>" in rendered.html


def test_the_change_confirmation_names_the_new_address() -> None:
    rendered = render("email_change_confirm", CONTEXT)

    assert "ann.new@example.com" in rendered.text
    assert "ann.new@example.com" in rendered.html


def test_the_change_notice_needs_no_token() -> None:
    rendered = render("email_changed_notice", {"new_email": "ann.new@example.com", "name": ""})

    assert rendered.text.startswith("Hello,\n")
    assert "changed to ann.new@example.com" in rendered.text
    assert "<strong>ann.new@example.com</strong>" in rendered.html


def test_values_are_escaped_in_html_and_kept_in_text() -> None:
    rendered = render("magic_link", {**CONTEXT, "name": "<script>alert(1)</script>"})

    assert "<script>" not in rendered.html
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;," in rendered.html
    assert "Hello <script>alert(1)</script>," in rendered.text


def test_a_missing_value_is_refused() -> None:
    with pytest.raises(ValueError, match="needs token"):
        render("password_reset", {"link": "https://x", "expires_minutes": "5"})


def test_an_unknown_template_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mail template"):
        render("welcome", CONTEXT)
