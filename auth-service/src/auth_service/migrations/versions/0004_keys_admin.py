"""Keys bound to their seal, revocable; admin power from current roles; NFKC emails.

- `signing_keys.public_pem` is dropped: the public key is derived from the decrypted
  private key, so a changed row cannot publish another key. Seals made before this
  revision bind the `kid` only; SQL cannot decrypt them, so the service re-seals them
  (binding kid, alg and use) once, at its next start-up, under the key-creation lock
  (keys/service.py `ensure_keys`). A row that opens under neither binding is refused.
- `signing_keys.revoked_at`: `auth-service keys revoke KID`.
- Service clients lose the scopes only a user may hold (`admin`, `openid`, `profile`,
  `email`): a client with `admin` was an administrator with no session behind it.
- Emails are NFKC-normalised, as the service now does on every write and look-up (an
  address whose normal form another account already has is left as it is).

Revision ID: 0004_keys_admin
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_keys_admin"
down_revision = "0003"
branch_labels = None
depends_on = None

STRIP_USER_ONLY_SCOPES = """
UPDATE oauth_clients
SET scopes = ARRAY(
    SELECT s FROM unnest(scopes) AS s
    WHERE s <> ALL(ARRAY['admin', 'openid', 'profile', 'email']::varchar[]) ORDER BY s
)::varchar[]
WHERE scopes && ARRAY['admin', 'openid', 'profile', 'email']::varchar[]
"""


def upgrade() -> None:
    op.drop_column("signing_keys", "public_pem")
    op.add_column("signing_keys", sa.Column("revoked_at", sa.DateTime(timezone=True)))
    op.execute(STRIP_USER_ONLY_SCOPES)
    encoding = op.get_bind().exec_driver_sql("SHOW server_encoding").scalar()
    if encoding == "UTF8":  # normalize() needs a UTF-8 database
        op.execute(
            "UPDATE users u SET email = normalize(u.email, NFKC) "
            "WHERE u.email IS NOT NFKC NORMALIZED AND NOT EXISTS ("
            "  SELECT 1 FROM users o "
            "  WHERE o.id <> u.id AND lower(o.email) = lower(normalize(u.email, NFKC)))"
        )


def downgrade() -> None:
    # The older code needs a public PEM per access key, which cannot be rebuilt in SQL:
    # after a downgrade, delete the keys (`DELETE FROM signing_keys`) so that it makes new
    # ones; access tokens in flight are then refused and users refresh or log in again.
    op.drop_column("signing_keys", "revoked_at")
    op.add_column("signing_keys", sa.Column("public_pem", sa.Text, nullable=True))
