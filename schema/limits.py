"""Depth limits: one for data, one for introspection, each counting every field.

Strawberry's QueryDepthLimiter skips introspection fields, which leaves nested
``ofType { ofType { ... } }`` queries unbounded; these rules do not. Data fields are held
to ``graphql_max_depth``. Introspection (``__schema`` and ``__type`` at the root) has its
own bound: the depth of the standard introspection query that GraphiQL, graphql-codegen,
Apollo and schemathesis send (graphql-core's ``get_introspection_query`` with every option
on), so that query passes wherever introspection is allowed and anything nested deeper does
not.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_introspection_query,
    parse,
)

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visited: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, visited))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, visited))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visited:
                deepest = max(deepest, _depth(fragment.selection_set, fragments, visited | {name}))
    return deepest


def _root_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    visited: frozenset[str] = frozenset(),
) -> Iterator[FieldNode]:
    """The fields an operation selects at its root, through fragments."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visited:
                yield from _root_fields(fragment.selection_set, fragments, visited | {name})


def _fragments(definitions: Iterator[object]) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def operation_depths(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> tuple[int, int]:
    """(data depth, introspection depth) of ``operation``: the deepest path under its data
    root fields and under its ``__schema``/``__type`` root fields, each counting the root."""
    data = introspection = 0
    for field in _root_fields(operation.selection_set, fragments):
        depth = 1 + _depth(field.selection_set, fragments, frozenset())
        if field.name.value in INTROSPECTION_ROOT_FIELDS:
            introspection = max(introspection, depth)
        else:
            data = max(data, depth)
    return data, introspection


def _standard_introspection_depth() -> int:
    document = parse(
        get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        )
    )
    fragments = _fragments(iter(document.definitions))
    return max(
        operation_depths(definition, fragments)[1]
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    )


INTROSPECTION_MAX_DEPTH = _standard_introspection_depth()
"""15 with graphql-core 3.3: the standard query's ``TypeRef`` nests ``ofType`` that deep."""


def max_depth_rule(
    max_depth: int, introspection_max_depth: int = INTROSPECTION_MAX_DEPTH
) -> type[ASTValidationRule]:
    class MaxDepthRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            fragments = _fragments(iter(document.definitions))
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                name = definition.name.value if definition.name else "anonymous"
                data, introspection = operation_depths(definition, fragments)
                if data > max_depth:
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth} "
                            f"(found {data})",
                            definition,
                            extensions={"code": "QUERY_TOO_DEEP"},
                        )
                    )
                if introspection > introspection_max_depth:
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum introspection depth of "
                            f"{introspection_max_depth} (found {introspection})",
                            definition,
                            extensions={"code": "QUERY_TOO_DEEP"},
                        )
                    )

    return MaxDepthRule


CREDENTIAL_FIELDS = frozenset(
    {
        "login",
        "changePassword",
        "register",
        "resetPassword",
        "verifyMagicLink",
        "requestEmailChange",
        "requestPasswordReset",
        "requestMagicLink",
        "resendVerificationEmail",
        "acceptInvitation",
        "Query.invitation",
        "completeMfaLogin",
        "sendEmailMfaCode",
        "finishPasskeyLogin",
        "enableTotp",
        "reauthenticate",
        "disableMfa",
        "regenerateBackupCodes",
    }
)
"""Root fields that check a credential (a password, a mailed token) or mail someone: by
name, or as ``Type.field`` where the name is used elsewhere too (``Query.invitation`` looks a
token up; the payloads' ``invitation`` fields are not credentials)."""


def single_use_fields_rule(names: frozenset[str]) -> type[ASTValidationRule]:
    """Fields that check a credential may appear once per document: one guess per request."""

    class SingleUseFieldsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.seen: dict[str, int] = {}

        def enter_field(self, node: FieldNode, *_args: object) -> None:
            name = node.name.value
            if name not in names:
                parent = self.context.get_parent_type()
                if parent is None or f"{parent.name}.{name}" not in names:
                    return
            self.seen[name] = self.seen.get(name, 0) + 1
            if self.seen[name] == 2:
                self.report_error(
                    GraphQLError(
                        f"'{name}' may appear only once per request",
                        node,
                        extensions={"code": "CREDENTIAL_FIELD_REPEATED"},
                    )
                )

    return SingleUseFieldsRule
