"""A depth limit that counts every field, introspection included.

Strawberry's QueryDepthLimiter skips introspection fields, which leaves nested
``ofType { ofType { ... } }`` queries unbounded; this rule does not.
"""

from __future__ import annotations

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
)


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


def max_depth_rule(max_depth: int) -> type[ASTValidationRule]:
    class MaxDepthRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            fragments = {
                definition.name.value: definition
                for definition in document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                depth = _depth(definition.selection_set, fragments, frozenset())
                if depth > max_depth:
                    name = definition.name.value if definition.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth} "
                            f"(found {depth})",
                            definition,
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
    }
)


def single_use_fields_rule(names: frozenset[str]) -> type[ASTValidationRule]:
    """Fields that check a credential may appear once per document: one guess per request."""

    class SingleUseFieldsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.seen: dict[str, int] = {}

        def enter_field(self, node: FieldNode, *_args: object) -> None:
            name = node.name.value
            if name not in names:
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
