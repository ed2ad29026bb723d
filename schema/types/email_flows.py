"""Inputs and payloads of the mailed-link flows."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON


@strawberry.type(description="The request was taken; what happens next arrives by mail.")
class Accepted:
    message: str = strawberry.field(description="What was done, worded for people.")


@strawberry.input(description="Set a new password with the token of a reset mail.")
class ResetPasswordInput:
    token: str = strawberry.field(description="The token from the mail.")
    new_password: str = strawberry.field(description="The new password.")


@strawberry.input(description="Sign in with the token of a sign-in mail.")
class VerifyMagicLinkInput:
    token: str = strawberry.field(description="The token from the mail.")
    allow_registration: bool = strawberry.field(
        default=False, description="Create an account when the address has none."
    )
    device: JSON | None = strawberry.field(
        default=None, description="Device description kept with the session."
    )


@strawberry.input(description="Move the account to a new address, which must confirm.")
class RequestEmailChangeInput:
    new_email: str = strawberry.field(description="The new address; a link is mailed there.")
    current_password: str = strawberry.field(description="The password in use now.")
