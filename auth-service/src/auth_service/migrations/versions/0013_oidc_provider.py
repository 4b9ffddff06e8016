"""OpenID Provider: applications as clients, authorization requests, codes, consents.

An application's token family is a `sessions` row with its `client_id` (and granted
`scope`): rotation, grace, reuse and the revocation feed apply to it unchanged.

Revision ID: 0013_oidc_provider
Revises: 0012_mail_given_up
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_oidc_provider"
down_revision = "0012_mail_given_up"
branch_labels = None
depends_on = None

_TEXTS = postgresql.ARRAY(sa.Text)


def upgrade() -> None:
    op.alter_column("oauth_clients", "secret_hash", nullable=True)
    for name in ("redirect_uris", "post_logout_redirect_uris"):
        op.add_column("oauth_clients", sa.Column(name, _TEXTS, nullable=False, server_default="{}"))
    op.add_column(
        "oauth_clients",
        sa.Column("grant_types", _TEXTS, nullable=False, server_default="{client_credentials}"),
    )
    op.add_column(
        "oauth_clients",
        sa.Column(
            "token_endpoint_auth_method",
            sa.String(32),
            nullable=False,
            server_default="client_secret_basic",
        ),
    )
    for flag in ("first_party", "require_pushed_authorization_requests"):
        op.add_column(
            "oauth_clients", sa.Column(flag, sa.Boolean, nullable=False, server_default="false")
        )
    op.add_column(
        "sessions",
        sa.Column(
            "client_id",
            sa.String(64),
            sa.ForeignKey("oauth_clients.client_id", ondelete="CASCADE"),
        ),
    )
    op.add_column("sessions", sa.Column("scope", sa.Text))
    op.create_index("ix_sessions_user_client", "sessions", ["user_id", "client_id"])
    op.create_table(
        "oidc_requests",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "client_id",
            sa.String(64),
            sa.ForeignKey("oauth_clients.client_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("params", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", postgresql.JSONB),
    )
    op.create_table(
        "oidc_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "client_id",
            sa.String(64),
            sa.ForeignKey("oauth_clients.client_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("browser_sid", sa.Uuid, nullable=False),
        sa.Column("family_sid", sa.Uuid, nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("nonce", sa.Text),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amr", _TEXTS, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "oidc_consents",
        sa.Column(
            "user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "client_id",
            sa.String(64),
            sa.ForeignKey("oauth_clients.client_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("scopes", _TEXTS, nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oidc_consents")
    op.drop_table("oidc_codes")
    op.drop_table("oidc_requests")
    op.drop_index("ix_sessions_user_client", table_name="sessions")
    op.drop_column("sessions", "scope")
    op.drop_column("sessions", "client_id")
    for name in (
        "require_pushed_authorization_requests",
        "first_party",
        "token_endpoint_auth_method",
        "grant_types",
        "post_logout_redirect_uris",
        "redirect_uris",
    ):
        op.drop_column("oauth_clients", name)
    op.execute("DELETE FROM oauth_clients WHERE secret_hash IS NULL")
    op.alter_column("oauth_clients", "secret_hash", nullable=False)
