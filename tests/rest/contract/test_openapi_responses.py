"""Every operation of ``/openapi.json`` documents the body of its success answer.

A 2xx answer other than 204 (which has no body) names a schema that says something: an object
with properties, a list or map of such, or a scalar. An empty schema, a bare ``object`` or a
map of anything (what ``dict[str, Any]`` gives) fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from identity.app import create_app
from identity.config import Settings

SCALARS = frozenset({"string", "integer", "number", "boolean"})


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("openapi-responses")
    app: FastAPI = create_app(
        Settings(env="test", database_url=f"sqlite+aiosqlite:///{folder}/x.db")
    )
    return app.openapi()


def says_something(schema: Any, components: dict[str, Any]) -> bool:
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return says_something(components[name], components)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        typed = [one for one in branches if one.get("type") != "null"]
        return bool(typed) and all(says_something(one, components) for one in typed)
    kind = schema.get("type")
    if kind in SCALARS:
        return True
    if kind == "array":
        return says_something(schema.get("items"), components)
    if kind == "object":
        if schema.get("properties"):
            return True
        return says_something(schema.get("additionalProperties"), components)
    return False


def test_every_operation_documents_its_success_body(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    silent = []
    operations = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operations += 1
            successes = {
                status: answer
                for status, answer in operation["responses"].items()
                if status.startswith("2")
            }
            if not successes:
                silent.append((method, path, "no 2xx answer"))
            for status, answer in successes.items():
                content = answer.get("content") or {}
                if status == "204":
                    if content:
                        silent.append((method, path, "a 204 with a body"))
                    continue
                if not content:
                    silent.append((method, path, f"{status} without a body"))
                for media, described in content.items():
                    if not says_something(described.get("schema"), components):
                        silent.append((method, path, f"{status} {media}: {described}"))
    assert silent == []
    assert operations > 90


def test_an_empty_or_any_object_says_nothing() -> None:
    components = {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}
    assert not says_something({}, components)
    assert not says_something({"type": "object"}, components)
    assert not says_something({"type": "object", "additionalProperties": True}, components)
    assert not says_something({"type": "array", "items": {}}, components)
    assert says_something({"$ref": "#/components/schemas/Thing"}, components)
    assert says_something(
        {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Thing"}},
        components,
    )
