"""The ``identity`` command: serve, migrate, create-admin, keys rotate, export-schema, readme."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import ipaddress
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TextIO

from identity.config import Settings
from identity.db import Database
from identity.errors import ConfigurationError
from identity.migrate import upgrade
from identity.observability.logging import configure_logging
from identity.services.deps import Deps


def _load_settings() -> Settings:
    try:
        settings = Settings()
        settings.validate_for_start()
    except ConfigurationError as exc:
        print("identity cannot start:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(2) from exc
    return settings


async def _migrate(settings: Settings) -> None:
    database = Database(settings)
    try:
        await upgrade(database)
    finally:
        await database.dispose()


def is_loopback(host: str) -> bool:
    """Whether ``host`` reaches only this machine (a name other than localhost may not)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def remote_refusal(settings: Settings, host: str, *, allow_remote: bool) -> str | None:
    """Why serving on ``host`` is refused, or None.

    Outside production mail may be printed to the console with its tokens, GraphiQL is
    open and errors say more; listening beyond loopback has to be asked for.
    """
    if settings.is_production or allow_remote or is_loopback(host):
        return None
    return (
        f"identity serve: refusing --host {host} in {settings.env.value}: outside production "
        "mailed tokens are printed to this console and GraphiQL is open, so only loopback "
        "(127.0.0.1, ::1, localhost) is served. Pass --allow-remote to listen on "
        f"{host} anyway, or set IDENTITY_ENV=production."
    )


def unshared_limits_refusal(
    settings: Settings, workers: int, *, allow_unshared: bool
) -> tuple[bool, str] | None:
    """(refuse?, message) when several workers would each count rate limits on their own.

    Without Redis every worker process keeps its own counters, so N workers allow N times
    each budget. Production refuses that unless told; elsewhere it is said once.
    """
    if workers <= 1 or settings.redis_url or not settings.rate_limits_enabled:
        return None
    message = (
        f"identity serve: {workers} workers without IDENTITY_REDIS_URL count rate limits per "
        f"process, so each budget is allowed up to {workers} times. Set IDENTITY_REDIS_URL"
    )
    if settings.is_production and not allow_unshared:
        return True, message + ", or pass --allow-unshared-limits to accept it."
    return False, message + "."


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from identity.web.http_protocol import HttpProtocol

    settings = _load_settings()
    refusal = remote_refusal(settings, args.host, allow_remote=args.allow_remote)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    unshared = unshared_limits_refusal(
        settings, args.workers, allow_unshared=args.allow_unshared_limits
    )
    if unshared is not None:
        print(unshared[1], file=sys.stderr)
        if unshared[0]:
            return 2
    configure_logging(level=settings.log_level, json_logs=settings.json_logs)
    if settings.migrate_on_start:
        # In a child process, so that the server never loads Alembic (identity.migrate).
        migrated = subprocess.run([sys.executable, "-m", "identity.cli", "migrate"], check=False)
        if migrated.returncode != 0:
            return migrated.returncode
        os.environ["IDENTITY_AUTO_MIGRATE"] = "false"
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    if not settings.is_production:
        print(f"identity ({settings.env.value}) on {settings.database_url}", flush=True)
        print(f"GraphiQL: http://{shown_host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        "identity.app:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http=HttpProtocol,
        access_log=False,
        log_config=None,
        # The client behind proxies is IDENTITY_TRUSTED_PROXIES' business (ClientAddressMiddleware).
        proxy_headers=False,
    )
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    settings = _load_settings()
    configure_logging(level=settings.log_level, json_logs=settings.json_logs)
    asyncio.run(_migrate(settings))
    print("database is at the latest migration")
    return 0


async def _with_deps(settings: Settings, action: Callable[[Deps], Awaitable[str]]) -> str:
    from identity.observability.metrics import Metrics
    from identity.runtime import Runtime, open_database

    database = open_database(settings)
    try:
        await upgrade(database)
        runtime = Runtime(settings=settings, database=database, metrics=Metrics())
        try:
            return await action(runtime.deps)
        finally:
            runtime.close()
    finally:
        await database.dispose()


class PasswordNotGiven(Exception):
    """No password on standard input, or the two typed at the prompt differ."""


def read_password(stdin: TextIO) -> str:
    """The password from a prompt without echo at a terminal, else one line of stdin.

    Only the line ending is removed: spaces may be part of a password.
    """
    if stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != password:
            raise PasswordNotGiven("the two passwords differ")
    else:
        password = stdin.readline().removesuffix("\n").removesuffix("\r")
    if not password:
        raise PasswordNotGiven("no password given (pipe it on standard input, or type it)")
    return password


def cmd_create_admin(args: argparse.Namespace) -> int:
    from identity.errors import IdentityError
    from identity.services.accounts import create_admin

    settings = _load_settings()
    try:
        password = args.password if args.password is not None else read_password(sys.stdin)
    except (PasswordNotGiven, EOFError) as exc:
        print(f"identity create-admin: {str(exc) or 'no password given'}", file=sys.stderr)
        return 1

    async def action(deps: Deps) -> str:
        user, created = await create_admin(deps, email=args.email, password=password)
        return f"{'created' if created else 'promoted'} super-admin {user.email} ({user.id})"

    try:
        print(asyncio.run(_with_deps(settings, action)))
    except IdentityError as exc:
        print(f"identity create-admin: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    return 0


def cmd_keys_rotate(_args: argparse.Namespace) -> int:
    from datetime import timedelta

    from identity.services.keys import rotate

    settings = _load_settings()

    async def action(deps: Deps) -> str:
        await deps.keys.load()
        kid = await rotate(
            database=deps.database,
            secret_key=deps.keys.secret_key,
            clock=deps.clock,
            access_token_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        )
        return f"new signing key {kid}; older keys verify until their tokens expire"

    print(asyncio.run(_with_deps(settings, action)))
    return 0


def cmd_export_schema(_args: argparse.Namespace) -> int:
    from schema import build_schema

    sys.stdout.write(build_schema(Settings(env="development")).as_str() + "\n")
    return 0


def cmd_readme(args: argparse.Namespace) -> int:
    from pathlib import Path

    from identity.app import create_app
    from identity.docs import render_readme

    path = Path(args.path)
    routes = create_app(Settings(env="development")).routes
    path.write_text(render_readme(path.read_text(encoding="utf-8"), routes), encoding="utf-8")
    print(f"{path}: settings and endpoint tables regenerated")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="identity", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1); outside production only loopback "
        "unless --allow-remote",
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="outside production, listen on a non-loopback --host although mailed tokens "
        "are printed to the console",
    )
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--allow-unshared-limits",
        action="store_true",
        help="in production, run several --workers without Redis (each counts its own limits)",
    )
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(handler=cmd_migrate)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(handler=cmd_export_schema)

    admin = commands.add_parser(
        "create-admin",
        help="create or promote a super-admin",
        description="Create a super-admin, or promote an existing account and set its "
        "password. Without --password, the password is read from standard input (its first "
        "line) when that is not a terminal, e.g. `identity create-admin --email a@b.c < file`, "
        "or asked for twice without echo at a terminal.",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument(
        "--password",
        help="the password; better left out: a command-line argument is visible to other "
        "users of the machine and stays in shell history. Without it the password is read "
        "from standard input or a prompt",
    )
    admin.set_defaults(handler=cmd_create_admin)

    keys = commands.add_parser("keys", help="signing keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    key_rotate = key_commands.add_parser("rotate", help="add a new signing key")
    key_rotate.set_defaults(handler=cmd_keys_rotate)

    readme = commands.add_parser("readme", help="regenerate the README's generated tables")
    readme.add_argument("path", nargs="?", default="README.md")
    readme.set_defaults(handler=cmd_readme)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None and args.handler is cmd_serve:
        from identity.memory import reexec_with_tunables

        reexec_with_tunables()  # argon2's memory handed back after each check
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
