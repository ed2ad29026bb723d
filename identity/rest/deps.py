"""FastAPI dependencies shared by the route modules: runtime, request meta, the caller."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from identity.errors import AuthenticationRequired
from identity.principal import Principal, RequestMeta
from identity.runtime import Runtime
from identity.services.deps import Deps
from identity.web.credentials import principal_from
from identity.web.request import request_meta


# Dependencies are ``async def`` because FastAPI runs plain ``def`` ones in a thread pool.
async def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


async def get_deps(request: Request) -> Deps:
    return cast(Runtime, request.app.state.runtime).deps


async def get_meta(request: Request) -> RequestMeta:
    return request_meta(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DepsDep = Annotated[Deps, Depends(get_deps)]
MetaDep = Annotated[RequestMeta, Depends(get_meta)]


async def optional_principal(request: Request, deps: DepsDep, meta: MetaDep) -> Principal | None:
    return await principal_from(request, deps, meta)


async def require_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise AuthenticationRequired(
            "Authentication required: send 'Authorization: Bearer <token>'"
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
