"""What an access case acts on and who calls it: targets made before the callers try, and
the callers (anonymous, a plain user, an administrator without each permission the operation
needs, the holder)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from fastapi import FastAPI

from identity.permissions import Permission
from tests.factories import (
    Caller,
    add_user,
    caller,
    new_permission,
    new_primary_role,
    new_role,
)
from tests.support.rows import permission_id

TARGETS_GRANT = ("reports:read", "reports:custom")
"""What the targets' role and permission grant: changing or deleting them needs holding it
(the no-escalation rule), so the holder holds it too."""


@dataclass(frozen=True, slots=True)
class World:
    """The targets of a case; a path names them as ``{user}``, ``{role}``, ..."""

    role: uuid.UUID  # custom, grants reports:read
    empty_role: uuid.UUID  # custom, grants nothing, held by ``user``
    spare_role: uuid.UUID  # custom, grants nothing, held by nobody
    user: uuid.UUID  # target@example.com, a plain user holding ``empty_role``
    permission: uuid.UUID  # custom: reports:custom
    builtin: uuid.UUID  # reports:read
    grantable: uuid.UUID  # the first permission the operation needs: its holder may grant it

    def ids(self) -> dict[str, str]:
        return {name: str(value) for name, value in asdict(self).items()}


async def world(app: FastAPI, grantable: Permission) -> World:
    empty_role = await new_role(app, name="empty")
    return World(
        role=await new_role(app, ["reports:read"], name="target"),
        empty_role=empty_role,
        spare_role=await new_role(app, name="spare"),
        user=await add_user(app, "target@example.com", roles=[empty_role]),
        permission=await new_permission(app, "reports:custom"),
        builtin=await permission_id(app, "reports:read"),
        grantable=await permission_id(app, grantable.value),
    )


HOLDER = "holder"


async def callers(
    app: FastAPI, needs: tuple[Permission, ...], also: tuple[Permission, ...]
) -> dict[str, Caller | None]:
    """Callers by kind, the holder last. An administrator "without" one permission holds
    every other one through a custom primary role; the holder holds what the operation needs
    (and ``also``, and what the targets grant) through a custom role beside "user"."""
    found: dict[str, Caller | None] = {"anonymous": None, "plain user": await caller(app)}
    for missing in needs:
        role = await new_primary_role(app, [one for one in Permission if one is not missing])
        found[f"admin without {missing.value}"] = await caller(app, role=role)
    found[HOLDER] = await caller(app, permissions=[*needs, *also, *TARGETS_GRANT])
    return found
