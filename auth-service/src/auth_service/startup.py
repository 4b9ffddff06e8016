"""What a serving auth service does with its registry: once at start-up (keys, re-sealed
seeds, the bootstrap administrator and service client) and the jobs it keeps running
(the mail sender, the feed's listener, key reload, pruning) until it stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

from service_kit import memory, stopping
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients import service as clients
from auth_service.config import Settings
from auth_service.keys.service import KeyStore, ensure_keys, status_of
from auth_service.mfa import challenges, seeds
from auth_service.oauth import codes
from auth_service.oidc import requests as authorization_requests
from auth_service.registry import Registry
from auth_service.revocations.service import RevocationLog
from auth_service.security.encryption import KeyEncryptor, UserSecrets
from auth_service.timeutil import Clock
from auth_service.users import service as user_service

logger = logging.getLogger("auth_service")

MEMORY_TRIM_INTERVAL = 30.0  # seconds between returns of the heaps' free pages to the OS


@contextlib.asynccontextmanager
async def serving(registry: Registry) -> AsyncIterator[None]:
    """Start-up, then the background jobs while inside; they stop when it ends."""
    s = registry.settings
    async with contextlib.AsyncExitStack() as cleanup:
        await ensure_keys_at_start(
            registry.sessionmaker, registry.encryptor, s.signing_key_bits, registry.clock
        )
        await registry.keys.reload()
        await registry.hasher.warm_up()
        await reseal_seeds(registry.sessionmaker, registry.secrets)
        registry.mail_sender.start()
        cleanup.push_async_callback(registry.mail_sender.stop)
        waker = registry.feed_waker
        waker.start()
        cleanup.push_async_callback(waker.stop)
        cleanup.enter_context(stopping.notice_stop(waker.release))
        registry.metrics.watch_keys(lambda: key_ages(registry.keys))
        await bootstrap_admin(registry)
        await bootstrap_client(registry)
        jobs = (
            reload_keys_forever(registry.keys, s.key_reload_interval),
            prune_forever(
                registry.revocation_log,
                registry.sessionmaker,
                registry.clock,
                s.revocation_prune_interval,
            ),
            memory.trim_forever(MEMORY_TRIM_INTERVAL),
        )
        for job in jobs:
            cleanup.push_async_callback(_cancelled, asyncio.create_task(job))
        yield


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def ensure_keys_at_start(
    sessionmaker: async_sessionmaker[AsyncSession],
    encryptor: KeyEncryptor,
    bits: int,
    clock: Clock,
) -> None:
    async with sessionmaker() as db, db.begin():
        await ensure_keys(db, encryptor, bits, clock.now())


async def reseal_seeds(
    sessionmaker: async_sessionmaker[AsyncSession], secrets: UserSecrets
) -> None:
    """TOTP seeds that only AUTH_PREVIOUS_KEY_ENCRYPTION_KEY opens: re-sealed, as keys are."""
    async with sessionmaker() as db, db.begin():
        await seeds.reseal_all(db, secrets)


async def bootstrap_admin(registry: Registry) -> None:
    """Fails start-up loudly when the email is an existing non-admin account, unless
    AUTH_BOOTSTRAP_ADMIN_FORCE=true: a sign-up must never be promoted silently."""
    s: Settings = registry.settings
    if s.bootstrap_admin_email and s.bootstrap_admin_password:
        try:
            async with registry.sessionmaker() as db, db.begin():
                await user_service.ensure_admin(
                    db,
                    registry.hasher,
                    registry.ledger,
                    s.bootstrap_admin_email,
                    s.bootstrap_admin_password.get_secret_value(),
                    force=s.bootstrap_admin_force,
                    actor="bootstrap",
                    now=registry.clock.now(),
                )
        except user_service.BootstrapConflict as exc:
            logger.error("AUTH_BOOTSTRAP_ADMIN_EMAIL: %s", exc.detail)
            raise


async def bootstrap_client(registry: Registry) -> None:
    """AUTH_BOOTSTRAP_CLIENT_*: the service client exists with that secret and those scopes."""
    s: Settings = registry.settings
    if s.bootstrap_client_id and s.bootstrap_client_secret:
        async with registry.sessionmaker() as db, db.begin():
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
    feed: RevocationLog,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    interval: float,
) -> None:
    """Rows nothing reads any more: old revocation-feed entries, expired log-in challenges
    (`mfa_token`s), expired authorization codes and authorization (and pushed) requests.
    Each prune on its own: one that fails leaves the others to run."""
    while True:
        await asyncio.sleep(interval)
        try:
            await feed.prune()
        except Exception:
            logger.warning("pruning the revocation feed failed; next time", exc_info=True)
        try:
            async with sessionmaker() as db, db.begin():
                await challenges.prune(db, clock.now())
        except Exception:
            logger.warning("pruning expired log-in challenges failed; next time", exc_info=True)
        try:
            async with sessionmaker() as db, db.begin():
                await codes.prune(db, clock.now())
                await authorization_requests.prune(db, clock.now())
        except Exception:
            logger.warning("pruning expired authorization codes failed; next time", exc_info=True)


def key_ages(keys: KeyStore) -> Iterable[tuple[str, str, float]]:
    now = keys.clock.now()
    for key in keys.ring.published(now):
        yield key.kid, status_of(key, now), (now - key.created_at).total_seconds()
