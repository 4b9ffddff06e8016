"""The application factory and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import APIRouter, FastAPI
from service_kit import db, memory, stopping
from service_kit.app import create_service_app
from service_kit.logs import configure_logging
from starlette.datastructures import State

from auth_service import startup
from auth_service.account.emails import EmailService
from auth_service.account.mailer import AccountMailer
from auth_service.account.router import router as account_router
from auth_service.account.service import AccountService, MailLimits
from auth_service.admin.router import router as admin_router
from auth_service.auth.ratelimit import FailureLimiter
from auth_service.auth.router import router as auth_router
from auth_service.auth.second_step import SecondStep
from auth_service.auth.service import AuthService
from auth_service.config import Settings, get_settings
from auth_service.health.router import router as health_router
from auth_service.keys.service import KeyStore
from auth_service.kv import REDIS_DOWN_ERRORS, create_redis
from auth_service.mail.sender import MailSender
from auth_service.mail.smtp import SmtpServer
from auth_service.mail.templates import MailTemplates
from auth_service.mfa.router import router as mfa_router
from auth_service.mfa.service import MfaService
from auth_service.oauth.router import router as oauth_router
from auth_service.oauth.service import OAuthService
from auth_service.oauth.token_status_router import router as token_status_router
from auth_service.observability.metrics import Metrics
from auth_service.revocations.router import router as revocations_router
from auth_service.revocations.service import RevocationFeed
from auth_service.revocations.waker import FeedWaker
from auth_service.security.encryption import (
    key_encryptor,
    user_secrets,
)
from auth_service.security.passwords import PasswordHasher
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.revocations import SessionRevocations
from auth_service.sessions.router import router as sessions_router
from auth_service.sessions.service import SessionsService
from auth_service.tokens import access
from auth_service.tokens.issuer import TokenIssuer
from auth_service.webauthn.challenges import Challenges
from auth_service.webauthn.enrolment import PasskeyEnrolment
from auth_service.webauthn.relyingparty import RelyingParty
from auth_service.webauthn.router import router as webauthn_router
from auth_service.webauthn.service import PasskeyService
from auth_service.wellknown.router import router as wellknown_router

PREFIX = "/api/auth"

logger = logging.getLogger("auth_service")


async def _build_services(
    settings: Settings, metrics: Metrics, state: State, cleanup: contextlib.AsyncExitStack
) -> None:
    """Builds what the slices need, once, and keeps each on `app.state` (see deps.py)."""
    engine = db.create_engine(
        settings.database_url, settings.database_pool_size, settings.database_pool_timeout
    )
    cleanup.push_async_callback(engine.dispose)
    redis = create_redis(settings.redis_url)
    cleanup.push_async_callback(redis.aclose)
    sessionmaker = db.session_factory(engine)
    encryptor = key_encryptor(settings)
    hasher = PasswordHasher(
        settings.argon2_memory_cost,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
        settings.password_hash_concurrency,
        settings.password_hash_niceness,
    )
    cleanup.callback(hasher.close)
    keys = KeyStore(sessionmaker, encryptor)
    await startup.ensure_keys_at_start(sessionmaker, encryptor, settings.signing_key_bits)
    await keys.reload()
    await hasher.warm_up()
    tokens = TokenIssuer(
        keys,
        issuer=settings.issuer,
        audience=settings.audience,
        web_client_id=settings.web_client_id,
        access_ttl=settings.access_token_ttl,
        refresh_ttl=settings.refresh_token_ttl,
        session_max_lifetime=settings.session_max_lifetime,
    )
    ledger = RotationLedger(redis, settings.refresh_token_ttl, settings.refresh_reuse_grace)
    limiter = FailureLimiter(
        redis,
        settings.login_max_failures_per_account,
        settings.login_max_failures_per_ip,
        settings.login_failure_window,
        metrics,
        delay_after=settings.login_delay_after_failures,
        max_delay=settings.login_max_delay,
    )
    sessions = SessionsService(tokens, ledger, metrics)
    state.settings, state.metrics = settings, metrics
    state.engine, state.sessionmaker, state.redis = engine, sessionmaker, redis
    state.keys, state.hasher, state.tokens = keys, hasher, tokens
    state.verifier = access.verifier(keys, issuer=settings.issuer, audience=settings.audience)
    state.ledger, state.limiter, state.sessions = ledger, limiter, sessions
    state.revocations = SessionRevocations(ledger, sessionmaker, settings.access_token_ttl)
    mailer = AccountMailer(MailTemplates(), settings.public_base)
    _build_passkeys(settings, state, Challenges(redis), mailer)
    secrets = user_secrets(settings)
    await startup.reseal_seeds(sessionmaker, secrets)
    state.mfa = MfaService(secrets, state.passkeys, mailer, ledger)
    state.auth = AuthService(
        hasher,
        limiter,
        sessions,
        metrics,
        mailer,
        state.mfa,
        state.passkeys,
        require_verified_email=settings.require_verified_email,
        smtputf8=settings.smtp_utf8,
    )
    state.second_step = SecondStep(limiter, sessions, state.mfa, metrics)
    state.oauth = OAuthService(limiter, tokens)
    mail_limiter = FailureLimiter(
        redis, 0, settings.mail_requests_per_ip, settings.mail_request_window, metrics
    )
    limits = MailLimits(
        cooldown=settings.mail_cooldown,
        mails_per_email=settings.mail_requests_per_email,
        email_changes_per_account=settings.email_changes_per_account,
        email_changes_per_address=settings.email_changes_per_address,
        smtputf8=settings.smtp_utf8,
    )
    state.account = AccountService(
        state.auth, hasher, mailer, mail_limiter, ledger, metrics, limits, mfa=state.mfa
    )
    state.emails = EmailService(state.account)
    # The sender has a connection of its own: it never takes one that requests wait for.
    mail_engine = db.create_engine(settings.database_url, 1, settings.database_pool_timeout)
    cleanup.push_async_callback(mail_engine.dispose)
    state.mail_sender = MailSender(
        db.session_factory(mail_engine),
        SmtpServer.from_url(settings.smtp_url.get_secret_value(), settings.smtp_timeout),
        settings.mail_from,
        poll_interval=settings.mail_poll_interval,
        on_result=lambda result: metrics.mails.labels(result).inc(),
    )
    state.mail_sender.start()
    cleanup.push_async_callback(state.mail_sender.stop)
    waker = FeedWaker(settings.database_url, settings.revocation_recheck_interval)
    waker.start()
    cleanup.push_async_callback(waker.stop)
    cleanup.enter_context(stopping.notice_stop(waker.release))
    retention = timedelta(seconds=settings.access_token_ttl + 2 * access.LEEWAY_SECONDS)
    state.revocation_feed = RevocationFeed(sessionmaker, waker, retention)


def _build_passkeys(
    settings: Settings, state: State, challenges: Challenges, mailer: AccountMailer
) -> None:
    rp = RelyingParty.of(settings.public_base)  # RP id and origin: AUTH_PUBLIC_URL's
    state.passkey_enrolment = PasskeyEnrolment(rp, challenges, state.metrics, mailer, state.ledger)
    state.passkeys = PasskeyService(
        rp,
        challenges,
        state.sessions,
        state.limiter,
        state.metrics,
        options_limiter=FailureLimiter(
            state.redis, 0, settings.webauthn_options_per_minute, 60, state.metrics
        ),
        require_verified_email=settings.require_verified_email,
    )


MEMORY_TRIM_INTERVAL = 30.0  # seconds between returns of the heaps' free pages to the OS


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("auth-service", settings.log_level, settings.log_format)
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        memory.tune_allocator()  # before the hashing threads exist
        async with contextlib.AsyncExitStack() as cleanup:
            await _build_services(settings, metrics, app.state, cleanup)
            keys: KeyStore = app.state.keys
            metrics.watch_keys(lambda: startup.key_ages(keys))
            await startup.bootstrap_admin(app.state)
            await startup.bootstrap_client(app.state)
            tasks = [
                asyncio.create_task(
                    startup.reload_keys_forever(keys, settings.key_reload_interval)
                ),
                asyncio.create_task(
                    startup.prune_forever(
                        app.state.revocation_feed,
                        app.state.sessionmaker,
                        settings.revocation_prune_interval,
                    )
                ),
                asyncio.create_task(memory.trim_forever(MEMORY_TRIM_INTERVAL)),
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app = create_service_app(
        title="Gatehouse auth service",
        prefix=PREFIX,
        settings=settings,
        lifespan=lifespan,
        registry=metrics.registry,
        http_metrics=metrics.http,
        dependency_errors=db.DATABASE_DOWN_ERRORS + REDIS_DOWN_ERRORS,
        on_dependency_error=lambda dependency: metrics.dependency_errors.labels(dependency).inc(),
    )
    api = APIRouter(prefix=PREFIX)
    routers = (
        auth_router,
        account_router,
        mfa_router,
        sessions_router,
        oauth_router,
        token_status_router,
        revocations_router,
        admin_router,
        webauthn_router,
        wellknown_router,
        health_router,
    )
    for router in routers:
        api.include_router(router)
    app.include_router(api)
    return app
