"""Item 28 for runtime settings: a revocation committed before the write's transaction stops
the change, although the request passed its early permission check."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from identity.permissions import Permission
from identity.services import runtime_settings
from tests.factories import caller
from tests.rest.permissions.test_permission_revoked_mid_write import revoked_when_the_write_begins
from tests.support.app import runtime
from tests.support.http import assert_error


async def test_a_setting_change_checks_the_permission_inside_its_transaction(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # given
    admin = await caller(app, permissions=[Permission.SETTINGS_WRITE.value])

    # when the permission is taken away just as the write begins
    with revoked_when_the_write_begins(app, admin) as fired:
        response = await client.patch(
            "/v1/admin/settings/lockout_threshold", json={"value": 3}, headers=admin.headers
        )

    # then
    assert fired == [True]
    assert_error(response, 403, "PERMISSION_DENIED")
    async with runtime(app).database.read() as session:
        values = await runtime_settings.read_all(session, runtime(app).settings)
    assert {one.key: one.is_default for one in values}["lockout_threshold"] is True
