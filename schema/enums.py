"""GraphQL enums are identity's enums, named and described for GraphQL.

``graphql_enum(Domain, ...)`` registers the domain enum itself with Strawberry (no second
class to keep in step): the GraphQL values are the members' names, resolvers receive and
return the domain members. Every member must be described.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

E = TypeVar("E", bound=Enum)


def graphql_enum(domain: type[E], *, name: str, description: str, values: Mapping[E, str]) -> None:
    missing = [member.name for member in domain if member not in values]
    if missing:
        raise ValueError(f"{domain.__name__}: no description for {', '.join(missing)}")
    strawberry.enum(domain, name=name, description=description)
    definition: StrawberryEnumDefinition = vars(domain)["__strawberry_definition__"]
    for value in definition.values:
        value.description = values[domain(value.value)]
