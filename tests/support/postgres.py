"""A throwaway PostgreSQL cluster from the machine's Debian packages, run as ``postgres``."""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import asyncpg


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """initdb, start, stop and start again; PostgreSQL refuses to run as root."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="identity-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run(
            _bin("initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def _run(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if self._as_root else list(args)
        subprocess.run(command, check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            _bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.root / "log"),
            "start",
        )

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def sql(self, statement: str) -> None:
        subprocess.run(
            [
                _bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                statement,
            ],
            check=True,
            capture_output=True,
        )

    def clone(self, name: str, template: str) -> None:
        """A new database copied from ``template`` (file copy: for a small database it is
        twice as fast as the default WAL-logged copy), over one kept connection."""
        self._admin().run(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")

    def drop_later(self, name: str) -> None:
        """Drop ``name`` in the background (the next test need not wait for it)."""
        self._admin().submit(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _admin(self) -> _Admin:
        admin: _Admin | None = getattr(self, "_admin_connection", None)
        if admin is None:
            admin = self._admin_connection = _Admin(self.dsn())
        return admin

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        admin: _Admin | None = getattr(self, "_admin_connection", None)
        if admin is not None:
            admin.close()
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


class _Admin:
    """One connection for administrative statements, on an event loop of its own (the tests'
    loops come and go); statements run one after another in the order given."""

    def __init__(self, dsn: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._lock = asyncio.Lock()
        self._pending: list[Future[None]] = []
        self._connection: asyncpg.Connection = self._call(asyncpg.connect(dsn)).result()

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _execute(self, statement: str) -> None:
        async with self._lock:
            await self._connection.execute(statement)

    def run(self, statement: str) -> None:
        self._call(self._execute(statement)).result()

    def submit(self, statement: str) -> None:
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._call(self._execute(statement)))

    def close(self) -> None:
        for pending in self._pending:
            pending.result()
        self._call(self._connection.close()).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
