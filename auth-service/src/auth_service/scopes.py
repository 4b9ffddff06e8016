"""Roles and the scopes they grant: a leaf that every slice may import."""

from __future__ import annotations

ADMIN_ROLE = "admin"
# What a person's token always says; a service client may hold none of these (see clients).
USER_SCOPES = ("openid", "profile", "email")


def scope_of(user_roles: list[str]) -> str:
    """The `scope` claim of a user's access token."""
    scopes = list(USER_SCOPES)
    if ADMIN_ROLE in user_roles:
        scopes.append(ADMIN_ROLE)
    return " ".join(scopes)
