"""The Strawberry layer: a thin adapter from GraphQL onto identity's services."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from identity.config import Settings
from schema.extensions import OperationMetrics
from schema.queries.health import HealthQuery


@strawberry.type(description="Everything that can be read.")
class Query(HealthQuery):
    pass


def _extensions(settings: Settings) -> list[SchemaExtension | type[SchemaExtension]]:
    extensions: list[SchemaExtension | type[SchemaExtension]] = [
        ParserCache(maxsize=512),
        ValidationCache(maxsize=512),
        QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        OperationMetrics,
    ]
    if settings.is_production:
        extensions += [DisableIntrospection(), MaskErrors()]
    return extensions


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    # Strawberry accepts extension instances (the caches must outlive one operation),
    # though its annotation names only classes and factories.
    extensions = cast(list[type[SchemaExtension]], _extensions(settings))
    return strawberry.Schema(
        query=Query,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.is_production),
    )
