"""Operator routes (``/metrics``, ``/health/detailed``): for monitoring, not for the public.

They reveal the pool, disk, memory and every route's traffic. When ``IDENTITY_METRICS_TOKEN``
is set they need ``Authorization: Bearer <token>`` in every environment (compared in constant
time; anything else is 401). When it is not set they are open outside production, as the
seeds document, and answer 404 in production, as if they did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from identity.errors import AuthenticationRequired, NotFound
from identity.rest.deps import RuntimeDep
from identity.security.secrets import tokens_equal
from identity.web.request import bearer_token


async def require_operator(request: Request, runtime: RuntimeDep) -> None:
    settings = runtime.settings
    if settings.metrics_token is None:
        if settings.is_production:
            raise NotFound("Not Found")
        return
    presented = bearer_token(request)
    if presented is None or not tokens_equal(presented, settings.metrics_token.get_secret_value()):
        raise AuthenticationRequired(
            "This route needs 'Authorization: Bearer <IDENTITY_METRICS_TOKEN>'"
        )


OperatorDep = Annotated[None, Depends(require_operator)]
