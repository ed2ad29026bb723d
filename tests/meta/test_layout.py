"""The tests mirror the code, so a newcomer finds a capability's tests where its code is.

- ``tests/services/<capability>/`` names a module or package of ``identity/services``;
- ``tests/rest/<resource>/`` names one of ``identity/rest``;
- ``tests/graphql/<capability>/`` names a module or package somewhere under ``schema/``;
- ``tests/rest/contract/`` and ``tests/graphql/contract/`` hold a surface's contract as a whole;
- any other folder of ``tests/`` is one of the cross-cutting ones (access matrices, meta
  checks, support, end-to-end flows) or names a package of ``identity/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
CROSS_CUTTING = {"access", "meta", "support", "flows", "services", "rest", "graphql"}
SURFACE_WIDE = {"contract"}  # a surface's contract as a whole (schema, OpenAPI, errors)
NOT_YET_MOVED = {"admin"}  # administration tests, to be spread over services/rest/graphql


def _folders(parent: Path) -> list[str]:
    return sorted(
        path.name for path in parent.iterdir() if path.is_dir() and (path / "__init__.py").exists()
    )


def _names(code: Path, *, recursive: bool = False) -> set[str]:
    paths = code.rglob("*") if recursive else code.iterdir()
    return {path.stem for path in paths if path.suffix == ".py" or (path / "__init__.py").exists()}


def _mirrors(folder: str, name: str) -> bool:
    """``kit`` mirrors ``_kit``, ``loaders`` mirrors ``dataloaders``: the name, or its end."""
    return name.lstrip("_").endswith(folder)


@pytest.mark.parametrize("folder", _folders(TESTS))
def test_each_top_level_test_folder_has_a_place(folder: str) -> None:
    packages = _names(REPO / "identity")

    assert folder in CROSS_CUTTING | NOT_YET_MOVED | packages, (
        f"tests/{folder}/ mirrors nothing: name it after a package of identity/ or put it "
        "under tests/services, tests/rest or tests/graphql"
    )


@pytest.mark.parametrize(
    ("tests", "code", "recursive"),
    [
        ("services", "identity/services", False),
        ("rest", "identity/rest", False),
        ("graphql", "schema", True),
    ],
)
def test_capability_folders_name_code(tests: str, code: str, recursive: bool) -> None:
    names = _names(REPO / code, recursive=recursive)

    strays = [
        folder
        for folder in _folders(TESTS / tests)
        if folder not in SURFACE_WIDE and not any(_mirrors(folder, name) for name in names)
    ]

    assert not strays, f"tests/{tests}/{strays} name nothing in {code}/"
