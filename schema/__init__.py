"""The Strawberry layer: a thin adapter from GraphQL onto identity's services."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from identity.config import Settings
from identity.errors import IdentityError, RateLimited
from schema.execution import execution_context_class
from schema.extensions import Gate, GateRunner, Rules
from schema.limits import CREDENTIAL_FIELDS, max_depth_rule, single_use_fields_rule
from schema.mutations.auth import AuthMutations
from schema.mutations.email_flows import EmailFlowMutations
from schema.mutations.invitations import InvitationsMutations
from schema.mutations.locations import LocationsMutations
from schema.mutations.mfa import MfaMutations
from schema.mutations.mfa_login import MfaLoginMutations
from schema.mutations.rbac import RbacMutations
from schema.mutations.settings import SettingsMutations
from schema.mutations.tenants import TenantsMutations
from schema.mutations.trusted_devices import TrustedDevicesMutations
from schema.mutations.users import UsersMutations
from schema.mutations.webauthn import WebauthnMutations
from schema.queries.health import HealthQuery
from schema.queries.invitations import InvitationsQuery
from schema.queries.locations import LocationsQuery
from schema.queries.me import MeQuery
from schema.queries.rbac import RbacQuery
from schema.queries.settings import SettingsQuery
from schema.queries.tenants import TenantsQuery
from schema.queries.users import UsersQuery


@strawberry.type(description="Everything that can be read.")
class Query(
    MeQuery,
    HealthQuery,
    RbacQuery,
    SettingsQuery,
    UsersQuery,
    InvitationsQuery,
    LocationsQuery,
    TenantsQuery,
):
    pass


@strawberry.type(description="Everything that changes state.")
class Mutation(
    AuthMutations,
    MfaLoginMutations,
    MfaMutations,
    EmailFlowMutations,
    RbacMutations,
    SettingsMutations,
    UsersMutations,
    WebauthnMutations,
    InvitationsMutations,
    LocationsMutations,
    TenantsMutations,
    TrustedDevicesMutations,
):
    pass


def is_unexpected(error: GraphQLError) -> bool:
    """Only crashes are masked: refusals and domain errors keep their message."""
    original = error.original_error
    return original is not None and not isinstance(original, IdentityError | GraphQLError)


def _validation_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """Built once per schema, so the validation cache can recognise them across requests."""
    rules = [
        max_depth_rule(settings.graphql_max_depth),
        single_use_fields_rule(CREDENTIAL_FIELDS),
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    if settings.is_production:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


def _extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """One factory: Strawberry builds the extension afresh per operation; caches are shared."""
    rules = Rules(
        max_chars=settings.graphql_max_document_chars,
        max_tokens=settings.graphql_max_tokens,
        max_fields=settings.graphql_max_fields,
        max_cost=settings.graphql_max_cost,
        validation_rules=tuple(_validation_rules(settings)),
        # In every environment: a crash's text is not the client's business.
        should_mask=is_unexpected,
    )
    return [partial(Gate, rules=rules)]


SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")
"""graphql-core's suggestions: of fields, arguments, input fields, types, enum values, and
subselections, in validation and in the coercion of variables alike."""


def without_suggestions(message: str) -> str:
    return SUGGESTION.sub("", message)


def with_code(error: GraphQLError) -> None:
    """A domain refusal a resolver raised carries its stable code (and field) in
    ``extensions``, whichever resolver raised it; a spent rate budget is ``RATE_LIMITED``
    with ``retryAfter`` (seconds)."""
    original = error.original_error
    if isinstance(original, RateLimited):
        error.extensions = {"code": original.graphql_code, "retryAfter": original.retry_after}
        return
    if isinstance(original, IdentityError) and not (error.extensions or {}).get("code"):
        extensions: dict[str, Any] = {**(error.extensions or {}), "code": original.code}
        if original.field:
            extensions["field"] = original.field
        error.extensions = extensions


class Schema(strawberry.Schema):
    """Logs only unexpected errors: refusals and invalid queries are the client's business.

    With ``hide_suggestions`` (production) no error names anything the client did not
    send: graphql-core's "Did you mean" would let the schema be rebuilt with introspection
    off. Strawberry's ``disable_field_suggestions`` covers only fields; every error of a
    result passes through here before it is answered, so all are stripped here.
    """

    def __init__(self, *args: Any, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        for error in errors:
            if self.hide_suggestions:
                error.message = without_suggestions(error.message)
            with_code(error)
        unexpected = [error for error in errors if is_unexpected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        """``Gate`` alone runs without Strawberry's per-step plumbing (``GateRunner``)."""
        if len(extensions) == 1 and type(extensions[0]) is Gate:
            return GateRunner(execution_context, extensions[0])
        return super().create_extensions_runner(execution_context, extensions)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema for ``settings``; one per process for the settings it reads (building one
    costs about as much as a hundred requests, and nothing in it belongs to one app)."""
    settings = settings or Settings()
    key = (
        settings.is_production,
        settings.graphql_max_depth,
        settings.graphql_max_aliases,
        settings.graphql_max_document_chars,
        settings.graphql_max_tokens,
        settings.graphql_max_cost,
        settings.graphql_short_path,
    )
    built = _SCHEMAS.get(key)
    if built is None:
        built = _SCHEMAS[key] = _new_schema(settings)
    return built


_SCHEMAS: dict[tuple[object, ...], strawberry.Schema] = {}


def _new_schema(settings: Settings) -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=_extensions(settings),
        execution_context_class=execution_context_class(settings),
        config=StrawberryConfig(disable_field_suggestions=settings.is_production),
        hide_suggestions=settings.is_production,
    )
