"""Request bodies of the documented routes: one superset model per operation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from identity.services.accounts import Profile, split_name

EMAIL_FORMAT: dict[str, Any] = {"format": "email"}


def _profile(body: RegisterBody | ProfileBody, *, avatar_url: str | None = None) -> Profile:
    """Seed 002's single ``name`` is kept whole and split into first and last names."""
    first, last = split_name(body.name)
    return Profile(
        first_name=body.first_name or first,
        last_name=body.last_name or last,
        display_name=body.name,
        username=body.username,
        organization=body.organization,
        subscription_plan=body.subscription_plan,
        avatar_url=avatar_url,
    )


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegisterBody(Body):
    email: str = Field(max_length=320, json_schema_extra=EMAIL_FORMAT)
    password: str = Field(max_length=1024)
    username: str | None = None
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    name: str | None = Field(None, max_length=300)
    organization: str | None = Field(None, max_length=200)
    subscription_plan: str | None = Field(None, max_length=100)
    organization_id: str | None = None

    def profile(self) -> Profile:
        return _profile(self)


class LoginBody(Body):
    email: str | None = Field(None, max_length=320, json_schema_extra=EMAIL_FORMAT)
    username: str | None = Field(None, max_length=320)
    password: str = Field(max_length=1024)
    device_info: dict[str, Any] | None = None
    organization_slug: str | None = None

    def identifier(self) -> str:
        return (self.email or self.username or "").strip()


class RefreshBody(Body):
    refresh_token: str | None = None


class ChangePasswordBody(Body):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)
    confirm_password: str | None = Field(None, max_length=1024)


class ProfileBody(Body):
    name: str | None = Field(None, max_length=300)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    username: str | None = None
    organization: str | None = Field(None, max_length=200)
    subscription_plan: str | None = Field(None, max_length=100)
    avatar_url: str | None = Field(None, max_length=2048)
    current_password: str | None = Field(
        None,
        max_length=1024,
        description="Required to change the username: the password in use now.",
    )

    def profile(self) -> Profile:
        return _profile(self, avatar_url=self.avatar_url)
