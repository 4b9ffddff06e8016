"""Dynamic client registration (RFC 7591): initial access tokens, and which clients
registered themselves.

Revision ID: 0014_client_registration
Revises: 0013_oidc_provider
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_client_registration"
down_revision = "0013_oidc_provider"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "oauth_clients",
        sa.Column("dynamically_registered", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_table(
        "registration_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_uses", sa.Integer, nullable=False),
        sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("registration_tokens")
    op.drop_column("oauth_clients", "dynamically_registered")
