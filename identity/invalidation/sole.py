"""Whether this is the only server process on a SQLite file, asked before each cache use.

SQLite cannot tell one process of another's writes, so the principal cache of a SQLite
server may be used only while no other server process shares the file. Each server process
holds a shared POSIX record lock on ``<database>.principal-cache.lock`` for its whole life,
and appends a byte to it when it starts. A process is alone when it can turn its own lock
exclusive (POSIX checks for conflicts before changing anything, so a refusal leaves the
shared lock in place) and the file has not grown since it last looked: a process that
started, wrote and ended between two looks still leaves its byte behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class SoleProcess:
    def __init__(self, database_path: Path | None) -> None:
        self._path = (
            None if database_path is None else Path(f"{database_path}.principal-cache.lock")
        )
        self._fd: int | None = None
        self._size = 0

    def open(self) -> None:
        if self._path is None or self._fd is not None:
            return
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.lockf(fd, fcntl.LOCK_SH, 1, 0)
        os.write(fd, b".")
        self._fd = fd
        self._size = os.fstat(fd).st_size

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None

    def alone(self) -> bool:
        """True while no other server process has shared the file since the last look
        (an in-memory database has no file and no other process)."""
        if self._path is None:
            return True
        if self._fd is None:
            return False
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        except OSError:
            return False
        fcntl.lockf(self._fd, fcntl.LOCK_SH, 1, 0)
        size = os.fstat(self._fd).st_size
        if size != self._size:
            self._size = size
            return False
        return True
