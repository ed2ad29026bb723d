"""Direct grants: replacing the permissions given to one account itself (seed 000)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import col

from identity.audit_events import EventType
from identity.models import User, UserPermission
from identity.permissions import Permission
from identity.principal import Principal
from identity.services import authorization
from identity.services.authorization import Grants
from identity.services.deps import Deps
from identity.services.users_admin.act import _Act, _authorize, _no_escalation, _permission_ids


async def set_permissions(
    deps: Deps, *, principal: Principal | None, user_id: uuid.UUID, permissions: Sequence[str]
) -> tuple[User, Grants]:
    """Replace a user's direct grants (seed 000's admin permissions); roles are unchanged."""
    needed = [Permission.USERS_WRITE, Permission.PERMISSIONS_WRITE]
    principal = await _authorize(deps, principal, *needed)
    now = deps.clock.now()
    async with deps.database.unit_of_work() as session:
        act = await _Act.begin(session, principal, needed, now)
        held = act.held
        user = await act.load(user_id)
        act.everywhere_only("grant permissions directly")
        wanted = await _permission_ids(session, permissions)
        current = (await authorization.grants(session, [user.id]))[user.id].direct
        _no_escalation(
            held, current ^ wanted.keys(), what="or remove these permissions", field="permissions"
        )
        if current != set(wanted):
            await session.execute(
                delete(UserPermission).where(col(UserPermission.user_id) == user.id)
            )
            session.add_all(
                UserPermission(user_id=user.id, permission_id=permission_id, created_at=now)
                for permission_id in wanted.values()
            )
            user.updated_at = now
            act.audit(
                EventType.USER_PERMISSIONS_SET,
                user.id,
                {"old": {"permissions": sorted(current)}, "new": {"permissions": sorted(wanted)}},
            )
        await session.flush()
        after = (await authorization.grants(session, [user.id]))[user.id]
    return user, after
