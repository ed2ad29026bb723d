"""The shared service helpers (``identity.services._kit``) and the text rules every service
uses instead of its own copy."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from identity.errors import NotFound, ValidationFailed
from identity.models import Role
from identity.services._kit import UNSET, Page, PageRequest, Unset, get_or_404, given
from identity.services.text_rules import optional_text, search_term
from tests.support.app import runtime
from tests.support.rows import role_id


@dataclass(frozen=True, kw_only=True)
class Changes:
    name: str | Unset = UNSET
    note: str | Unset | None = UNSET
    active: bool | Unset = UNSET


def test_given_names_only_the_fields_sent_none_included() -> None:
    assert given(Changes()) == {}
    assert given(Changes(note=None, active=False)) == {"note": None, "active": False}
    assert list(given(Changes(active=True, name="x"))) == ["name", "active"]


@pytest.mark.parametrize(
    ("offset", "limit", "field"), [(0, 101, "limit"), (0, -1, "limit"), (-1, 10, "offset")]
)
def test_a_checked_page_refuses_a_bad_slice(offset: int, limit: int, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        PageRequest.checked(offset, limit, max_limit=100)
    assert refused.value.field == field


def test_a_checked_page_keeps_a_good_slice_and_a_clamped_one_bends_a_bad_one() -> None:
    assert PageRequest.checked(5, 0, max_limit=100) == PageRequest(5, 0)
    assert PageRequest.clamped(-3, 1000, max_limit=500) == PageRequest(0, 500)
    assert PageRequest.clamped(2, 0, max_limit=500) == PageRequest(2, 1)
    statement = PageRequest(10, 5).apply(select(col(Role.id)))
    assert "LIMIT" in str(statement)
    assert "OFFSET" in str(statement)


def test_a_page_knows_whether_more_follow() -> None:
    assert Page(items=[1, 2], total=5, offset=2, limit=2).has_next
    assert not Page(items=[1], total=5, offset=4, limit=2).has_next
    assert not Page(items=[], total=0, offset=0, limit=0).has_next


def test_optional_text_trims_empties_and_refuses_controls() -> None:
    assert optional_text("  hello  ", field="note", max_length=10) == "hello"
    assert optional_text("   ", field="note", max_length=10) is None
    assert optional_text(None, field="note", max_length=10) is None
    for bad in ("x" * 11, "a\u202eb", "line\nbreak"):
        with pytest.raises(ValidationFailed) as refused:
            optional_text(bad, field="note", max_length=10)
        assert refused.value.field == "note"


def test_search_term() -> None:
    assert search_term("  Admin ") == "admin"
    assert search_term("   ") is None
    assert search_term(None) is None


async def test_get_or_404(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await role_id(app, "admin")
    async with runtime(app).database.unit_of_work() as session:
        found = await get_or_404(session, Role, admin, message="Role not found", lock=True)
        assert found.name == "admin"
        with pytest.raises(NotFound) as missing:
            await get_or_404(session, Role, uuid.uuid4(), message="Role not found", field="role_id")
    assert (missing.value.code, missing.value.message, missing.value.field) == (
        "RESOURCE_NOT_FOUND",
        "Role not found",
        "role_id",
    )
