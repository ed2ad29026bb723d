"""The allocator tunables ``identity serve`` starts itself with, and where it leaves them."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from identity import memory
from identity.memory import TUNABLES, TUNABLES_VARIABLE, tuned_environment


def test_glibc_with_hugetlb_gets_the_tunables() -> None:
    environment = tuned_environment({"PATH": "/bin"}, ("glibc", "2.36"))
    assert environment == {"PATH": "/bin", TUNABLES_VARIABLE: TUNABLES}


@pytest.mark.parametrize(
    "libc",
    [("", ""), ("musl", "1.2.4"), ("glibc", "2.34"), ("glibc", "2"), ("glibc", "unknown")],
)
def test_other_c_libraries_are_left_alone(libc: tuple[str, str]) -> None:
    assert tuned_environment({"PATH": "/bin"}, libc) is None


def test_the_operators_tunables_are_kept() -> None:
    assert (
        tuned_environment({TUNABLES_VARIABLE: "glibc.malloc.arena_max=2"}, ("glibc", "2.36"))
        is None
    )


def test_without_glibc_the_process_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TUNABLES_VARIABLE, raising=False)
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))

    def refuse(*_args: object) -> None:
        raise AssertionError("execve called")

    monkeypatch.setattr(os, "execve", refuse)
    memory.reexec_with_tunables()


@pytest.mark.skipif(memory.glibc_version() is None, reason="glibc only")
def test_the_process_starts_again_once_with_the_tunables() -> None:
    script = (
        "import os; from identity.memory import reexec_with_tunables; "
        "print('start', flush=True); reexec_with_tunables(); "
        f"print(os.environ.get({TUNABLES_VARIABLE!r}))"
    )
    environment = {k: v for k, v in os.environ.items() if k != TUNABLES_VARIABLE}
    result = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    tuned = memory.glibc_version() >= memory.HUGETLB_SINCE  # type: ignore[operator]
    expected = ["start", "start", TUNABLES] if tuned else ["start", "None"]
    assert result.stdout.split() == expected
