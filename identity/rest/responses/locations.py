"""Answers of seed 004's location routes."""

from __future__ import annotations

from typing_extensions import TypedDict

from identity.rest.responses.account import Message


class LocationOut(TypedDict):
    """A location; ``organization_id`` is seed 004's name of its tenant."""

    id: str
    name: str
    code: str
    description: str | None
    address: str | None
    city: str | None
    state: str | None
    country: str | None
    postal_code: str | None
    is_active: bool
    organization_id: str
    tenant_id: str
    created_at: str | None
    updated_at: str | None


class AssignedLocationOut(LocationOut):
    """One of a user's locations: whether it is their primary one in its organization."""

    is_primary: bool
    assigned_at: str | None


class UserLocationsOut(TypedDict):
    message: str
    user_id: str
    primary_location_id: str | None
    locations: list[AssignedLocationOut]


class LocationDeletedOut(Message):
    id: str


class LocationUserOut(TypedDict):
    id: str
    user_id: str
    email: str
    username: str | None
    first_name: str | None
    last_name: str | None
    display_name: str | None
    is_active: bool
    is_primary: bool
    assigned_at: str | None


class LocationUsersOut(TypedDict):
    location_id: str
    users: list[LocationUserOut]
    total: int
    skip: int
    limit: int
