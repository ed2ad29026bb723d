"""REST compatibility routes: thin adapters from the documented paths onto the services."""

from fastapi import APIRouter

from identity.rest import health, meta


def build_router() -> APIRouter:
    router = APIRouter()
    router.include_router(meta.router)
    router.include_router(health.router)
    return router
