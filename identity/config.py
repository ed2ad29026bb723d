"""Settings, read once at start from the environment (prefix ``IDENTITY_``) or ``.env``."""

from __future__ import annotations

from email.utils import parseaddr
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from identity.errors import ConfigurationError
from identity.networks import parse_networks
from identity.ratelimit.budgets import resolve

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./identity.db"
MIN_SECRET_KEY_LENGTH = 32
MIN_PASSWORD_MEMORY_KIB = 7168
MIN_PASSWORD_WORK = 7168 * 5  # OWASP's weakest argon2id pair; the others cost more
SMTP_SCHEMES = ("smtp://", "smtps://")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    AUTO = "auto"
    JSON = "json"
    TEXT = "text"


class Settings(BaseSettings):
    """Every setting of the service; the README's settings table documents each field."""

    # hide_input_in_errors: a rejected value may hold a password (IDENTITY_SMTP_URL).
    model_config = SettingsConfigDict(
        env_prefix="IDENTITY_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )

    env: Environment = Field(
        Environment.DEVELOPMENT, description="development, test or production."
    )
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="sqlite+aiosqlite:///path or postgresql+asyncpg://user:pass@host/db.",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The URL clients reach the service at."
    )
    secret_key: SecretStr | None = Field(
        None, description="At least 32 characters; encrypts signing keys. Required in production."
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: LogFormat = Field(
        LogFormat.AUTO, description="json, text, or auto (JSON in production, text otherwise)."
    )
    auto_migrate: bool | None = Field(
        None, description="Apply migrations at start; default: on except in production."
    )
    db_pool_size: int = Field(10, ge=1, description="Connections kept per process (PostgreSQL).")
    db_max_overflow: int = Field(10, ge=0, description="Extra connections under load.")
    db_connect_timeout: float = Field(
        3.0, gt=0, description="Seconds to wait for a new database connection."
    )
    health_timeout: float = Field(
        2.0, gt=0, description="Seconds a health check waits for the database."
    )
    jwt_audience: str = Field("identity", description="The `aud` claim of access tokens.")
    access_token_ttl_seconds: int = Field(900, ge=60, description="Access token lifetime.")
    session_ttl_days: int = Field(30, ge=1, description="Absolute lifetime of a login session.")
    session_idle_days: int = Field(
        7, ge=1, description="A session unused (not refreshed) this long expires."
    )
    lockout_threshold: int = Field(
        5, ge=1, description="Failed logins per identifier before it is locked."
    )
    lockout_minutes: int = Field(15, ge=1, description="How long a locked identifier stays locked.")
    registration_enabled: bool = Field(True, description="Whether anyone may register.")
    password_min_length: int = Field(8, ge=8, le=128, description="Shortest password accepted.")
    send_verification_on_register: bool = Field(
        True, description="Mail a verification link when an account registers."
    )
    verification_token_hours: int = Field(
        24, ge=1, le=720, description="Lifetime of an email-verification link."
    )
    password_reset_minutes: int = Field(
        15, ge=1, le=1440, description="Lifetime of a password-reset link."
    )
    magic_link_minutes: int = Field(10, ge=1, le=1440, description="Lifetime of a sign-in link.")
    email_change_hours: int = Field(
        24, ge=1, le=720, description="Lifetime of the link confirming a new email address."
    )
    cookie_secure: bool = Field(
        True, description="Mark auth cookies Secure; turn off only for plain-http development."
    )
    password_workers: int | None = Field(
        None, ge=1, description="Threads hashing passwords; default: one per core."
    )
    password_time_cost: int = Field(
        2, ge=1, le=10, description="Argon2id passes over memory for new password hashes."
    )
    password_memory_kib: int = Field(
        19456,
        ge=1024,
        le=1048576,
        description="Argon2id memory (KiB) for new password hashes. Production refuses less "
        "than OWASP's pairs (at least 7,168 KiB, and memory x passes at least 35,840: "
        "19,456 x 2, 12,288 x 3, 7,168 x 5, ...). Stored hashes are upgraded at their next "
        "sign-in.",
    )
    breached_passwords_url: str | None = Field(
        None,
        description="Pwned-Passwords-compatible range API checked for new passwords, e.g. "
        "https://api.pwnedpasswords.com/range/ (only 5 hex characters of the SHA-1 are sent); "
        "unset: off. Unreachable: the password is accepted and a warning logged.",
    )
    breached_passwords_timeout_seconds: float = Field(
        2.0, gt=0, le=30, description="Seconds the breached-password range API may take."
    )
    graphql_max_depth: int = Field(12, ge=2, description="Deepest selection a query may nest.")
    graphql_max_aliases: int = Field(15, ge=1, description="Most aliases in one document.")
    graphql_max_tokens: int = Field(2000, ge=10, description="Most tokens in one document.")
    graphql_max_fields: int = Field(
        500,
        ge=10,
        description="Most fields in one document (fragments' included), checked before "
        "validation, whose cost grows with them.",
    )
    graphql_max_document_chars: int = Field(
        50_000, ge=1000, description="Longest GraphQL document, in characters."
    )
    graphql_max_cost: int = Field(
        50_000,
        ge=100,
        description="Costliest GraphQL operation: each field 1, a list times its page size "
        "(10 when it has none); refused before it runs. A 100-user admin page costs ~13,300.",
    )
    graphql_short_path: bool = Field(
        True,
        description="Complete values already in memory (the users page) in one pass; false: "
        "graphql-core's executor throughout. Also off, with a warning, when the installed "
        "graphql-core or Strawberry lacks what it uses.",
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body on GraphQL and JSON routes; larger is refused with 413 "
        "before it is read.",
    )
    max_auth_body_bytes: int = Field(
        65_536,
        ge=1024,
        description="Largest request body on authentication routes (paths with an /auth/ segment).",
    )
    max_upload_body_bytes: int = Field(
        10_485_760, ge=1024, description="Largest request body on upload routes (none yet)."
    )
    smtp_url: SecretStr | None = Field(
        None,
        description="smtp://user:pass@host:587, or smtps://… for implicit TLS. Unset: mail is "
        "printed to the console, except in production, where it fails and is given up.",
    )
    smtp_starttls: bool | None = Field(
        None,
        description="STARTTLS on smtp://: true requires it, false never; unset: when offered.",
    )
    smtp_timeout_seconds: float = Field(
        10.0, gt=0, description="Seconds an SMTP connection or command may take."
    )
    mail_from: str = Field(
        "identity <no-reply@localhost>", description="The From address of every mail sent."
    )
    frontend_url: str | None = Field(
        None, description="Base URL of the links in mail (the web app); default: the public URL."
    )
    mail_max_attempts: int = Field(
        8, ge=1, description="Delivery attempts before a queued mail is given up (dead)."
    )
    mail_retry_base_seconds: float = Field(
        30.0, gt=0, description="First retry delay; it doubles per attempt, up to an hour."
    )
    mail_poll_seconds: float = Field(
        2.0, gt=0, description="How often the mail worker looks for queued mail."
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token that /metrics and /health/detailed require when set. In "
        "production, unset means those routes answer 404.",
    )
    public_docs: bool = Field(
        True, description="Serve /docs and /openapi.json; false answers 404 for both."
    )

    redis_url: str | None = Field(
        None,
        description="redis://host:6379/0: rate-limit counters shared by every replica. Unset: "
        "counted in each process's memory.",
    )
    rate_limits_enabled: bool = Field(
        True, description="Refuse requests over their rate budgets with 429; false: no limits."
    )
    rate_limits: dict[str, str] = Field(
        default_factory=dict,
        description='Budget overrides as JSON, e.g. {"login": "20/15 minutes"}; '
        "docs/rate-limits.md lists the budgets and their defaults.",
    )
    rate_limit_exempt: str = Field(
        "",
        description="Comma-separated addresses or CIDRs never limited (health checkers, "
        "internal networks, load generators).",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or CIDRs of proxies whose X-Forwarded-For is "
        "believed, read from the right; unset: the socket peer is the client.",
    )
    webauthn_rp_id: str = Field(
        "localhost",
        min_length=1,
        max_length=253,
        description="The WebAuthn relying-party id: the registrable domain passkeys are bound "
        "to (auth.example.com or example.com); never changes once credentials exist.",
    )
    webauthn_rp_name: str = Field(
        "identity",
        min_length=1,
        max_length=100,
        description="The name browsers show when a security key or passkey is registered.",
    )
    webauthn_origins: list[str] = Field(
        default_factory=lambda: ["http://localhost:8080"],
        min_length=1,
        description="Origins WebAuthn ceremonies may come from, as JSON: "
        '["https://app.example.com"] (the web app\'s scheme, host and port, within the '
        "relying-party id's domain).",
    )
    mfa_issuer: str = Field(
        "identity",
        min_length=1,
        max_length=100,
        description="The issuer authenticator apps show beside a TOTP account (otpauth URL).",
    )
    recent_auth_minutes: int = Field(
        5,
        ge=1,
        le=60,
        description="How long after a login or re-authentication a session may disable MFA, "
        "replace backup codes or remove a factor.",
    )
    trusted_device_days: int = Field(
        30,
        ge=1,
        le=90,
        description="How long a trusted device skips the second factor when the request names "
        "no number of days (at most trusted_device_max_days).",
    )
    trusted_device_max_days: int = Field(
        90,
        ge=1,
        le=90,
        description="The longest a device may be trusted (at most 90): a request for more days "
        "is refused.",
    )
    users_total_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long the REST users listings may reuse a total they counted (0: "
        "count every time). A write of this process that could change it ends it at once; "
        "other replicas' writes show within this time.",
    )
    principal_cache: bool = Field(
        True,
        description="Keep authenticated callers in memory between requests, invalidated by "
        "PostgreSQL NOTIFY (on every replica, in the writing transaction) and bypassed while "
        "the listener is down. On SQLite only with one server process (no --workers).",
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(SMTP_SCHEMES):
            raise ValueError("must start with smtp:// or smtps://")
        return value

    @field_validator("rate_limits")
    @classmethod
    def _known_budgets(cls, value: dict[str, str]) -> dict[str, str]:
        try:
            resolve(value)
        except ConfigurationError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("rate_limit_exempt", "trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            parse_networks(value, setting="addresses")
        except ConfigurationError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("mail_from")
    @classmethod
    def _sender_address(cls, value: str) -> str:
        if "\r" in value or "\n" in value or "@" not in parseaddr(value)[1]:
            raise ValueError("must be an address, optionally with a name: Name <user@host>")
        return value

    @property
    def issuer(self) -> str:
        """The ``iss`` of our tokens: the public URL, without a trailing slash."""
        return self.public_url.rstrip("/")

    @property
    def links_base_url(self) -> str:
        """Where links in mail point: the web app if configured, else this service."""
        return (self.frontend_url or self.public_url).rstrip("/")

    @property
    def smtp_uses_tls(self) -> bool:
        """Whether every SMTP exchange is encrypted: implicit TLS, or STARTTLS required."""
        if self.smtp_url is None:
            return False
        url = self.smtp_url.get_secret_value()
        return url.startswith("smtps://") or self.smtp_starttls is True

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def migrate_on_start(self) -> bool:
        return not self.is_production if self.auto_migrate is None else self.auto_migrate

    @property
    def json_logs(self) -> bool:
        if self.log_format is LogFormat.AUTO:
            return self.is_production
        return self.log_format is LogFormat.JSON

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file, or None for PostgreSQL and in-memory SQLite."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[1] if "///" in self.database_url else ""
        if not path or path == ":memory:":
            return None
        return Path(path)

    def problems_for_production(self) -> list[str]:
        """What production needs and is missing, one line per setting."""
        problems: list[str] = []
        explicit = self.model_fields_set
        if self.secret_key is None:
            problems.append("IDENTITY_SECRET_KEY is required (at least 32 random characters)")
        elif len(self.secret_key.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            problems.append("IDENTITY_SECRET_KEY must be at least 32 characters")
        if "database_url" not in explicit:
            problems.append("IDENTITY_DATABASE_URL is required (postgresql+asyncpg://...)")
        if "public_url" not in explicit:
            problems.append("IDENTITY_PUBLIC_URL is required (https://auth.example.com)")
        elif not self.public_url.startswith("https://"):
            problems.append("IDENTITY_PUBLIC_URL must use https in production")
        if self.frontend_url is not None and not self.frontend_url.startswith("https://"):
            problems.append("IDENTITY_FRONTEND_URL must use https in production")
        if (
            self.password_memory_kib < MIN_PASSWORD_MEMORY_KIB
            or self.password_memory_kib * self.password_time_cost < MIN_PASSWORD_WORK
        ):
            problems.append(
                "IDENTITY_PASSWORD_MEMORY_KIB x IDENTITY_PASSWORD_TIME_COST is below OWASP's "
                "argon2id minimum (at least 7168 KiB and a product of at least 35840)"
            )
        if self.smtp_url is not None and not self.smtp_uses_tls:
            problems.append(
                "IDENTITY_SMTP_URL must use TLS in production: smtps://..., "
                "or smtp://... with IDENTITY_SMTP_STARTTLS=true"
            )
        return problems

    def validate_for_start(self) -> None:
        """Refuse to start in production without what production needs."""
        if not self.is_production:
            return
        problems = self.problems_for_production()
        if problems:
            raise ConfigurationError(problems)
