"""What the auth service does once at start-up (keys, re-sealed seeds, the bootstrap
administrator and service client) and the jobs it keeps running (key reload, pruning)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import State

from auth_service.clients import service as clients
from auth_service.config import Settings
from auth_service.keys.service import KeyStore, ensure_keys, status_of
from auth_service.mfa import challenges, seeds
from auth_service.revocations.service import RevocationFeed
from auth_service.security.encryption import KeyEncryptor, UserSecrets
from auth_service.timeutil import utcnow
from auth_service.users import service as accounts

logger = logging.getLogger("auth_service")


async def ensure_keys_at_start(
    sessionmaker: async_sessionmaker[AsyncSession], encryptor: KeyEncryptor, bits: int
) -> None:
    async with sessionmaker() as db, db.begin():
        await ensure_keys(db, encryptor, bits)


async def reseal_seeds(
    sessionmaker: async_sessionmaker[AsyncSession], secrets: UserSecrets
) -> None:
    """TOTP seeds that only AUTH_PREVIOUS_KEY_ENCRYPTION_KEY opens: re-sealed, as keys are."""
    async with sessionmaker() as db, db.begin():
        await seeds.reseal_all(db, secrets)


async def bootstrap_admin(state: State) -> None:
    """Fails start-up loudly when the email is an existing non-admin account, unless
    AUTH_BOOTSTRAP_ADMIN_FORCE=true: a sign-up must never be promoted silently."""
    s: Settings = state.settings
    if s.bootstrap_admin_email and s.bootstrap_admin_password:
        try:
            async with state.sessionmaker() as db, db.begin():
                await accounts.ensure_admin(
                    db,
                    state.hasher,
                    state.ledger,
                    s.bootstrap_admin_email,
                    s.bootstrap_admin_password.get_secret_value(),
                    force=s.bootstrap_admin_force,
                    actor="bootstrap",
                )
        except accounts.BootstrapConflict as exc:
            logger.error("AUTH_BOOTSTRAP_ADMIN_EMAIL: %s", exc.detail)
            raise


async def bootstrap_client(state: State) -> None:
    """AUTH_BOOTSTRAP_CLIENT_*: the service client exists with that secret and those scopes."""
    s: Settings = state.settings
    if s.bootstrap_client_id and s.bootstrap_client_secret:
        async with state.sessionmaker() as db, db.begin():
            secret = s.bootstrap_client_secret.get_secret_value()
            scopes = s.bootstrap_client_scopes
            if await clients.ensure(db, s.bootstrap_client_id, secret, scopes, "bootstrap"):
                logger.info("bootstrap client %s created or updated", s.bootstrap_client_id)


async def reload_keys_forever(keys: KeyStore, interval: float) -> None:
    """Replicas pick up keys that another replica (or the CLI) created or retired."""
    while True:
        await asyncio.sleep(interval)
        try:
            await keys.reload()
        except Exception:
            logger.warning("key reload failed; keeping the current keys", exc_info=True)


async def prune_forever(
    feed: RevocationFeed, sessionmaker: async_sessionmaker[AsyncSession], interval: float
) -> None:
    """Rows nothing reads any more: old revocation-feed entries, expired log-in challenges
    (`mfa_token`s). Each prune on its own: one that fails leaves the other to run."""
    while True:
        await asyncio.sleep(interval)
        try:
            await feed.prune()
        except Exception:
            logger.warning("pruning the revocation feed failed; next time", exc_info=True)
        try:
            async with sessionmaker() as db, db.begin():
                await challenges.prune(db)
        except Exception:
            logger.warning("pruning expired log-in challenges failed; next time", exc_info=True)


def key_ages(keys: KeyStore) -> Iterable[tuple[str, str, float]]:
    now = utcnow()
    for key in keys.ring.published(now):
        yield key.kid, status_of(key, now), (now - key.created_at).total_seconds()
