"""The server's allocator settings: argon2's memory handed back after each check, cheaply.

Each password check allocates ``IDENTITY_PASSWORD_MEMORY_KIB`` (19 MiB) in a hashing
thread. glibc serves the first such block with mmap and returns it at free, but then raises
its dynamic mmap threshold to the block's size, so every later block comes from the
thread's own malloc arena and stays resident: one thread per core, 19 MiB each, ~38 MB on
two cores for the life of the process (``bench/rss.py``: 181 MB after 100 logins against
143 MB with a fixed threshold).

A fixed threshold alone (``mallopt(M_MMAP_THRESHOLD)``) gives the memory back, but every
check then faults 19 MiB in again page by page: ~27 % more CPU per check. With glibc's
``hugetlb`` tunable the mmap'd block is advised for transparent huge pages, 2 MiB per
fault, and the cost falls to ~5 %. Tunables are read only when a process starts, so
``identity serve`` starts itself again, once, with them in its environment
(:func:`reexec_with_tunables`). Anywhere else (musl, macOS, glibc before 2.35, a
``GLIBC_TUNABLES`` the operator set) nothing changes.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping

TUNABLES_VARIABLE = "GLIBC_TUNABLES"
MMAP_THRESHOLD_BYTES = 1024 * 1024
"""Blocks this size or larger are mmap'd and unmapped at free: argon2's (7 MiB at least)."""
TUNABLES = f"glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold={MMAP_THRESHOLD_BYTES}"
HUGETLB_SINCE = (2, 35)
"""The first glibc with ``glibc.malloc.hugetlb``; older ones would pay the page faults."""


def glibc_version(libc: tuple[str, str] | None = None) -> tuple[int, int] | None:
    """(major, minor) of the glibc this process runs on, None for any other C library."""
    name, version = libc if libc is not None else platform.libc_ver()
    if name != "glibc":
        return None
    try:
        major, minor = version.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return None


def tuned_environment(
    environ: Mapping[str, str], libc: tuple[str, str] | None = None
) -> dict[str, str] | None:
    """The environment to start the server again with, or None to go on as it is."""
    if TUNABLES_VARIABLE in environ:
        return None
    version = glibc_version(libc)
    if version is None or version < HUGETLB_SINCE:
        return None
    return {**environ, TUNABLES_VARIABLE: TUNABLES}


def reexec_with_tunables() -> None:
    """Replace this process (same pid, same command line) by one with the tunables set.

    Called by the ``identity`` command before serving; returns only when nothing is to
    change. The command line is the interpreter's own (``sys.orig_argv``), so ``identity
    serve`` and ``python -m identity.cli serve`` start again as they were started.
    """
    environment = tuned_environment(os.environ)
    if environment is None or not sys.orig_argv:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environment)  # noqa: S606
