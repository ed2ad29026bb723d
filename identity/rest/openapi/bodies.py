"""Request bodies as the services check them: the rules a model cannot express (one of two
fields, patterns of names and addresses, password lengths), written into the bodies' schemas."""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from fastapi import FastAPI
from fastapi.routing import APIRoute

from identity.security.password_policy import MAX_LENGTH as MAX_PASSWORD_LENGTH
from identity.security.password_policy import MIN_LENGTH as MIN_PASSWORD_LENGTH
from identity.services.permission_catalog import (
    MAX_DESCRIPTION_LENGTH as PERMISSION_DESCRIPTION_LENGTH,
)
from identity.services.roles import MAX_DESCRIPTION_LENGTH as ROLE_DESCRIPTION_LENGTH
from identity.services.roles import MAX_NAME_LENGTH as ROLE_NAME_LENGTH
from identity.services.text_rules import has_control_characters

# Rules the services apply to a body that its model cannot express.
LOGIN_RULE: dict[str, Any] = {
    "description": "Log in with `email` or `username`: the first of them that is not empty "
    "is the identifier, and it must hold more than spaces.",
    "anyOf": [
        {"required": ["email"], "properties": {"email": {"type": "string", "pattern": r"\S"}}},
        {
            "required": ["username"],
            "properties": {
                "email": {"enum": [None, ""]},
                "username": {"type": "string", "pattern": r"\S"},
            },
        },
    ],
}
PERMISSION_PART = r"[a-z][a-z0-9_.-]{0,49}"
PERMISSION_RULE: dict[str, Any] = {
    "description": "A permission is named `resource:action` (lower-case letters, digits, "
    "'_', '.' or '-', each part starting with a letter, at most 50 characters): by `name`, or "
    "by `resource` and `action` together (which must agree with a name sent beside them).",
    "anyOf": [
        {
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": rf"^\s*{PERMISSION_PART}:{PERMISSION_PART}\s*$",
                },
                "resource": {"type": "null"},
                "action": {"type": "null"},
            },
        },
        {
            "required": ["resource", "action"],
            "properties": {
                "name": {"enum": [None, ""]},
                "resource": {"type": "string", "pattern": rf"^\s*{PERMISSION_PART}\s*$"},
                "action": {"type": "string", "pattern": rf"^\s*{PERMISSION_PART}\s*$"},
            },
        },
    ],
}
BULK_RULE: dict[str, Any] = {
    "description": "`assign_role` needs `role`.",
    "anyOf": [
        {"properties": {"action": {"not": {"const": "assign_role"}}}},
        {"required": ["role"], "properties": {"role": {"type": "string", "minLength": 1}}},
    ],
}
PROFILE_RULE: dict[str, Any] = {
    "description": "A new `username` needs `current_password` (re-authentication).",
    "anyOf": [
        {"properties": {"username": {"anyOf": [{"type": "null"}, {"pattern": r"^\s*$"}]}}},
        {
            "required": ["current_password"],
            "properties": {"current_password": {"type": "string", "minLength": 1}},
        },
    ],
}


def _at_least_one(single: str, many: str) -> dict[str, Any]:
    """Seeds 003 and 004 name one id (``single``) or a list (``many``): at least one."""
    return {
        "description": f"Name at least one: `{single}`, or a non-empty `{many}`.",
        "anyOf": [
            {"required": [single], "properties": {single: {"type": "string"}}},
            {"required": [many], "properties": {many: {"type": "array", "minItems": 1}}},
        ],
    }


BODY_RULES: dict[str, dict[str, Any]] = {
    "ProfileBody": PROFILE_RULE,
    "RoleIdsBody": _at_least_one("role_id", "role_ids"),
    "PermissionIdsBody": _at_least_one("permission_id", "permission_ids"),
    "LoginBody": LOGIN_RULE,
    "PermissionBody": PERMISSION_RULE,
    "BulkBody": BULK_RULE,
}

HTTPS_URL = r"^(\s*|https://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?)$"
USERNAME = r"^\s*[\w.-]{0,150}\s*$"
# Addresses at special-use domains (``.test``, ``.local``...) are refused by the validator.
EMAIL_PATTERN = (
    r"^(?![\s\S]*@([\s\S]*\.)?("
    + "|".join(
        "".join(f"[{char.lower()}{char.upper()}]" for char in name)
        for name in SPECIAL_USE_DOMAIN_NAMES
    )
    + r")\.?$)"
)
# Property rules by name, for the string values of every request body's property of that name
# (models listed in ``except`` keep theirs): the checks the services make after pydantic.
PROPERTY_RULES: dict[str, tuple[dict[str, Any], frozenset[str]]] = {
    "email": ({"format": "email", "pattern": EMAIL_PATTERN}, frozenset({"LoginBody"})),
    "password": (
        {"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH},
        frozenset({"LoginBody"}),
    ),
    "new_password": (
        {"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH},
        frozenset(),
    ),
    "avatar_url": (
        {"pattern": HTTPS_URL, "description": "An https URL; empty or spaces clear it."},
        frozenset(),
    ),
    "username": ({"pattern": USERNAME}, frozenset({"LoginBody"})),
}
# Text the services refuse control and invisible formatting characters in.
PLAIN_TEXT_PROPERTIES = frozenset(
    {
        "first_name",
        "last_name",
        "name",
        "display_name",
        "organization",
        "subscription_plan",
        "description",
        "reason",
    }
)


# Unassigned and private-use code points: never refused by the name rules, and too many to
# test. Lone surrogates (Cs) are refused too but left out: JSON text cannot carry them.
UNCHECKED_CATEGORIES = frozenset({"Cn", "Co"})
# Spaces only (no control character among them): the default plan.
BLANK = "^[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]*$"
PLAN_RULE: dict[str, Any] = {
    "pattern": BLANK,
    "description": "Empty: the default plan. Administrators set plans; registration also "
    "takes the plans the `self_selectable_plans` runtime setting lists.",
}
# Per model and property: role names are collapsed and must hold more than spaces; plans
# are not the caller's to choose on registration and on their own profile.
MODEL_PROPERTY_RULES: dict[tuple[str, str], dict[str, Any]] = {
    ("CreateRoleBody", "name"): {"maxLength": ROLE_NAME_LENGTH},
    ("UpdateRoleBody", "name"): {"maxLength": ROLE_NAME_LENGTH},
    ("CreateRoleBody", "description"): {"maxLength": ROLE_DESCRIPTION_LENGTH},
    ("UpdateRoleBody", "description"): {"maxLength": ROLE_DESCRIPTION_LENGTH},
    ("PermissionBody", "description"): {"maxLength": PERMISSION_DESCRIPTION_LENGTH},
    ("CreateUserBody", "role"): {"pattern": r"\S"},
    ("UpdateUserBody", "role"): {"pattern": r"\S", "description": "Null leaves the role."},
    ("RegisterBody", "subscription_plan"): PLAN_RULE,
    ("ProfileBody", "subscription_plan"): {
        "maxLength": 0,
        "description": "Administrators set plans: only empty (or the plan held now) is taken.",
    },
}
NON_BLANK_NAMES = frozenset(
    {
        ("CreateRoleBody", "name"),
        ("UpdateRoleBody", "name"),
        ("CreateLocationBody", "name"),
        ("UpdateLocationBody", "name"),
    }
)


def body_models(app: FastAPI) -> set[str]:
    """The component names of the request bodies' models."""
    names: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.body_field is not None:
            names.update(_model_names(route.body_field.field_info.annotation))
    return names


def _model_names(annotation: Any) -> Iterator[str]:
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        yield annotation.__name__
    for argument in getattr(annotation, "__args__", ()):
        yield from _model_names(argument)


def apply_property_rules(model: str, schema: dict[str, Any]) -> None:
    for name, prop in schema.get("properties", {}).items():
        rules: dict[str, Any] = {}
        if name in PROPERTY_RULES and model not in PROPERTY_RULES[name][1]:
            rules.update(PROPERTY_RULES[name][0])
        if (model, name) in NON_BLANK_NAMES:
            rules.update(pattern=non_blank_text_pattern(), minLength=1)
        elif name in PLAIN_TEXT_PROPERTIES:
            rules["pattern"] = plain_text_pattern()
        rules.update(MODEL_PROPERTY_RULES.get((model, name), {}))
        for branch in string_branches(prop):
            branch.update({key: value for key, value in rules.items() if key != "description"})
        if "description" in rules:
            prop.setdefault("description", rules["description"])


def string_branches(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if schema.get("type") == "string":
        yield schema
    for branch in schema.get("anyOf", ()):
        yield from string_branches(branch)


def plain_text_pattern() -> str:
    """Any text without the characters ``text_rules`` refuses in names."""
    return f"^[^{_refused_ranges()}]*$"


def non_blank_text_pattern() -> str:
    """Such text with at least one character that is not a space."""
    refused = _refused_ranges()
    return f"^[^{refused}]*[^\\s{refused}][^{refused}]*$"


@functools.cache
def _refused_ranges() -> str:
    """The characters ``text_rules`` refuses in names, as the inside of a regex class."""
    refused = [
        code
        for code in range(sys.maxunicode + 1)
        if (category := unicodedata.category(chr(code)))[0] in "CZ"
        and category not in UNCHECKED_CATEGORIES
        and category != "Cs"
        and has_control_characters(chr(code))
    ]
    ranges: list[tuple[int, int]] = []
    for code in refused:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "".join(
        _escape(start) if start == end else f"{_escape(start)}-{_escape(end)}"
        for start, end in ranges
    )


def _escape(code: int) -> str:
    """The character itself (regex engines differ on ``\\u`` escapes), escaped if special."""
    return re.escape(chr(code))
