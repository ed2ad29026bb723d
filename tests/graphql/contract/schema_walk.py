"""Reading the schema itself, so contract tests cover every field without a hand-made list."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from schema import build_schema
from schema.permissions import AUTHENTICATED

SCHEMA: GraphQLSchema = build_schema()._schema
REQUIRES = re.compile(r"Requires: the (\S+) permission\.")


def fields(kind: str) -> dict[str, GraphQLField]:
    root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
    assert root is not None
    return dict(root.fields)


@dataclass(frozen=True)
class Access:
    public: bool
    permissions: tuple[str, ...]


def access(field: GraphQLField) -> Access | None:
    """What the field's description says about who may call it (None: it says nothing)."""
    text = field.description or ""
    if text.endswith("Public."):
        return Access(public=True, permissions=())
    needed = tuple(REQUIRES.findall(text))
    if needed or AUTHENTICATED in text:
        return Access(public=False, permissions=needed)
    return None


def selection(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    if isinstance(named, GraphQLUnionType):
        return "{ __typename ... on Error { code field } }"
    if isinstance(named, GraphQLObjectType):
        return "{ __typename }"
    return ""


def is_id(kind: GraphQLInputType) -> bool:
    named = get_named_type(kind)
    return isinstance(named, GraphQLScalarType) and named.name == "ID"


def sample(kind: GraphQLInputType, *, malformed: tuple[str, ...] = (), path: str = "") -> Any:
    """A value of ``kind``: ids well formed (an unknown UUID) except at ``malformed`` paths."""
    if isinstance(kind, GraphQLNonNull):
        return sample(kind.of_type, malformed=malformed, path=path)
    if isinstance(kind, GraphQLList):
        return [sample(kind.of_type, malformed=malformed, path=path)]
    if isinstance(kind, GraphQLInputObjectType):
        return {
            name: sample(one.type, malformed=malformed, path=f"{path}.{name}")
            for name, one in kind.fields.items()
            if isinstance(one.type, GraphQLNonNull) or f"{path}.{name}" in malformed
        }
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    assert isinstance(kind, GraphQLScalarType), kind
    name = kind.name
    if name == "ID":
        return "not-an-id" if path in malformed else str(uuid.uuid4())
    return {"String": "probe", "Int": 1, "Float": 1.0, "Boolean": False}.get(name, 1)


@dataclass(frozen=True)
class IdArgument:
    kind: str
    field: str
    path: str
    """``.arg`` or ``.arg.inputField``."""

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def id_arguments() -> Iterator[IdArgument]:
    """Every argument, and input field of an argument, that takes an ID or a list of them."""
    for kind in ("query", "mutation"):
        for name, field in fields(kind).items():
            for arg_name, arg in field.args.items():
                if is_id(arg.type):
                    yield IdArgument(kind, name, f".{arg_name}")
                named = get_named_type(arg.type)
                if isinstance(named, GraphQLInputObjectType):
                    for input_name, input_field in named.fields.items():
                        if is_id(input_field.type):
                            yield IdArgument(kind, name, f".{arg_name}.{input_name}")


def operation(
    kind: str, name: str, *, malformed: tuple[str, ...] = ()
) -> tuple[str, dict[str, Any]]:
    """A document calling ``name`` with every required argument (and the ``malformed`` ones)
    passed as variables."""
    field = fields(kind)[name]
    chosen = {
        arg_name: arg
        for arg_name, arg in field.args.items()
        if isinstance(arg.type, GraphQLNonNull)
        or any(path.split(".")[1] == arg_name for path in malformed)
    }
    variables = {
        arg_name: sample(arg.type, malformed=malformed, path=f".{arg_name}")
        for arg_name, arg in chosen.items()
    }
    declared = ", ".join(f"${arg_name}: {arg.type}" for arg_name, arg in chosen.items())
    passed = ", ".join(f"{arg_name}: ${arg_name}" for arg_name in chosen)
    head = f"{kind} Probe({declared})" if declared else kind
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call} {selection(field)} }}", variables
