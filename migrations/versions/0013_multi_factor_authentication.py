"""Multi-factor authentication: each user's TOTP and email-code state, backup codes, WebAuthn
credentials, trusted devices, the short-lived MFA ceremonies; how each session was
authenticated (``amr``) and when it last proved it (``authenticated_at``, recent
authentication). Existing sessions count as authenticated when they were created.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from identity.models.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "user_mfa",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("totp_secret", sa.String(length=200), nullable=True),
        sa.Column("totp_pending_secret", sa.String(length=200), nullable=True),
        sa.Column("totp_pending_at", UTCDateTime(), nullable=True),
        sa.Column("totp_enabled_at", UTCDateTime(), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("email_enabled_at", UTCDateTime(), nullable=True),
        sa.Column("preferred", sa.String(length=20), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _user_fk(),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "mfa_backup_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_mfa_backup_codes_user_id", "mfa_backup_codes", ["user_id"])
    op.create_table(
        "webauthn_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.String(length=2000), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("aaguid", sa.String(length=36), nullable=True),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_id"),
    )
    op.create_index("ix_webauthn_credentials_user_id", "webauthn_credentials", ["user_id"])
    op.create_table(
        "mfa_challenges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("first_factor", sa.String(length=30), nullable=True),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("password_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("webauthn_challenge", sa.String(length=200), nullable=True),
        sa.Column("email_code_hash", sa.String(length=64), nullable=True),
        sa.Column("email_code_expires_at", UTCDateTime(), nullable=True),
        sa.Column("email_sends", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_mfa_challenges_user_id", "mfa_challenges", ["user_id"])
    op.create_table(
        "trusted_devices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("device_key", sa.String(length=200), nullable=False),
        sa.Column("device_info", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_trusted_devices_user_id", "trusted_devices", ["user_id"])
    op.add_column("sessions", sa.Column("amr", sa.JSON(), nullable=True))
    op.add_column("sessions", sa.Column("authenticated_at", UTCDateTime(), nullable=True))
    sessions = sa.table(
        "sessions", sa.column("authenticated_at", UTCDateTime()), sa.column("created_at")
    )
    op.execute(sa.update(sessions).values(authenticated_at=sessions.c.created_at))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("authenticated_at")
        batch.drop_column("amr")
    op.drop_table("trusted_devices")
    op.drop_table("mfa_challenges")
    op.drop_table("webauthn_credentials")
    op.drop_table("mfa_backup_codes")
    op.drop_table("user_mfa")
