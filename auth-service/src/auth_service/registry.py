"""Everything the auth service is made of, built in one place from its settings.

`build(settings)` gives a `Registry`: the stores (engine, Redis), the key ring, the hasher,
the mail sender, the revocation feed and every service, each built once and closed when
the context ends. The app's lifespan, the command line, the benchmarks and the tests all
build it this way, so none of them wires a service by hand. Building does no I/O beyond
what the objects do lazily; `startup.start` is what a serving process runs next (keys,
re-sealed seeds, the bootstrap accounts, the background jobs).

Routes read it through the `Annotated` dependencies of `deps.py` and of each slice; each
slice declares the Protocol of what it needs, and mypy proves below that the registry
gives each what it declares.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
from auth_client import TokenVerifier
from service_kit import db
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.account.emails import EmailService
from auth_service.account.mailer import AccountMailer
from auth_service.account.service import AccountService, MailLimits
from auth_service.account.signin import EmailSignInService, SignInOptions
from auth_service.auth.second_step import SecondStep
from auth_service.auth.service import AuthService
from auth_service.config import Settings
from auth_service.http.ratelimit import FailureLimiter
from auth_service.keys.service import KeyStore
from auth_service.kv import create_redis
from auth_service.mail.sender import MailSender
from auth_service.mail.smtp import SmtpServer
from auth_service.mail.templates import MailTemplates
from auth_service.mfa.service import MfaService
from auth_service.oauth.app_tokens import AppTokens
from auth_service.oauth.service import OAuthService
from auth_service.observability.metrics import Metrics
from auth_service.oidc.decision import Decisions
from auth_service.oidc.service import Authorizations
from auth_service.registration.service import Registrations
from auth_service.revocations.service import RevocationLog
from auth_service.revocations.waker import FeedWaker
from auth_service.security.encryption import KeyEncryptor, UserSecrets, key_encryptor, user_secrets
from auth_service.security.passwords import PasswordHasher
from auth_service.sessions.ledger import RotationLedger
from auth_service.sessions.revocations import SessionRevocations
from auth_service.sessions.service import SessionsService
from auth_service.timeutil import Clock, SystemClock
from auth_service.tokens import access
from auth_service.tokens.issuer import TokenIssuer
from auth_service.webauthn.challenges import Challenges
from auth_service.webauthn.enrolment import PasskeyEnrolment
from auth_service.webauthn.relyingparty import RelyingParty
from auth_service.webauthn.service import PasskeyService


@dataclass(frozen=True, slots=True, kw_only=True)
class Registry:
    settings: Settings
    clock: Clock
    metrics: Metrics
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    encryptor: KeyEncryptor
    secrets: UserSecrets
    hasher: PasswordHasher
    keys: KeyStore
    tokens: TokenIssuer
    verifier: TokenVerifier
    ledger: RotationLedger
    limiter: FailureLimiter
    sessions: SessionsService
    revocations: SessionRevocations
    mailer: AccountMailer
    passkey_enrolment: PasskeyEnrolment
    passkeys: PasskeyService
    mfa: MfaService
    auth: AuthService
    second_step: SecondStep
    oauth: OAuthService
    app_tokens: AppTokens
    authorizations: Authorizations
    decisions: Decisions
    registrations: Registrations
    account: AccountService
    emails: EmailService
    email_sign_in: EmailSignInService
    mail_sender: MailSender
    feed_waker: FeedWaker
    revocation_log: RevocationLog


@contextlib.asynccontextmanager
async def build(
    settings: Settings, metrics: Metrics | None = None, clock: Clock | None = None
) -> AsyncIterator[Registry]:
    """The registry of `settings`; its pools, clients and threads close when this ends.
    Whatever decides by time reads `clock` (the system clock unless a test moves one)."""
    metrics = metrics or Metrics()
    clock = clock or SystemClock()
    async with contextlib.AsyncExitStack() as cleanup:
        engine = db.create_engine(
            settings.database_url, settings.database_pool_size, settings.database_pool_timeout
        )
        cleanup.push_async_callback(engine.dispose)
        redis = create_redis(settings.redis_url)
        cleanup.push_async_callback(redis.aclose)
        # The sender has a connection of its own: it never takes one that requests wait for.
        mail_engine = db.create_engine(settings.database_url, 1, settings.database_pool_timeout)
        cleanup.push_async_callback(mail_engine.dispose)
        hasher = PasswordHasher(
            settings.argon2_memory_cost,
            settings.argon2_time_cost,
            settings.argon2_parallelism,
            settings.password_hash_concurrency,
            settings.password_hash_niceness,
        )
        cleanup.callback(hasher.close)
        yield _services(settings, clock, metrics, engine, redis, hasher, mail_engine)


def _services(
    settings: Settings,
    clock: Clock,
    metrics: Metrics,
    engine: AsyncEngine,
    redis: aioredis.Redis,
    hasher: PasswordHasher,
    mail_engine: AsyncEngine,
) -> Registry:
    sessionmaker = db.session_factory(engine)
    encryptor = key_encryptor(settings)
    keys = KeyStore(sessionmaker, encryptor, clock)
    tokens = TokenIssuer(
        keys,
        clock=clock,
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
    sessions = SessionsService(tokens, ledger, metrics, clock)
    mailer = AccountMailer(MailTemplates(), settings.public_base, clock)
    rp = RelyingParty.of(settings.public_base)  # RP id and origin: AUTH_PUBLIC_URL's
    challenges = Challenges(redis)
    passkeys = PasskeyService(
        rp,
        challenges,
        sessions,
        limiter,
        metrics,
        options_limiter=FailureLimiter(redis, 0, settings.webauthn_options_per_minute, 60, metrics),
        require_verified_email=settings.require_verified_email,
    )
    secrets = user_secrets(settings)
    mfa = MfaService(secrets, passkeys, mailer, ledger, clock)
    auth = AuthService(
        hasher,
        limiter,
        sessions,
        metrics,
        mailer,
        mfa,
        passkeys,
        require_verified_email=settings.require_verified_email,
        smtputf8=settings.smtp_utf8,
    )
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
    account = AccountService(auth, hasher, mailer, mail_limiter, ledger, metrics, limits, mfa=mfa)
    waker = FeedWaker(settings.database_url, settings.revocation_recheck_interval)
    retention = timedelta(seconds=settings.access_token_ttl + 2 * access.LEEWAY_SECONDS)
    return Registry(
        settings=settings,
        clock=clock,
        metrics=metrics,
        engine=engine,
        sessionmaker=sessionmaker,
        redis=redis,
        encryptor=encryptor,
        secrets=secrets,
        hasher=hasher,
        keys=keys,
        tokens=tokens,
        verifier=access.verifier(keys, clock, issuer=settings.issuer, audience=settings.audience),
        ledger=ledger,
        limiter=limiter,
        sessions=sessions,
        revocations=SessionRevocations(ledger, sessionmaker, settings.access_token_ttl, clock),
        mailer=mailer,
        passkey_enrolment=PasskeyEnrolment(rp, challenges, metrics, mailer, ledger, clock),
        passkeys=passkeys,
        mfa=mfa,
        auth=auth,
        second_step=SecondStep(limiter, sessions, mfa, metrics),
        oauth=OAuthService(limiter, tokens, clock),
        app_tokens=AppTokens(tokens, ledger, sessions, clock),
        authorizations=Authorizations(settings.public_base, clock),
        decisions=Decisions(settings.issuer, settings.web_client_id, clock),
        registrations=Registrations(
            settings.client_registration,
            FailureLimiter(redis, 0, settings.client_registrations_per_ip, 3600, metrics),
            clock,
        ),
        account=account,
        emails=EmailService(account),
        email_sign_in=EmailSignInService(
            account,
            limiter,
            sessions,
            mfa,
            secrets,
            SignInOptions(enabled=settings.email_login, sign_up=settings.email_signup),
        ),
        mail_sender=MailSender(
            db.session_factory(mail_engine),
            SmtpServer.from_url(settings.smtp_url.get_secret_value(), settings.smtp_timeout),
            settings.mail_from,
            poll_interval=settings.mail_poll_interval,
            clock=clock,
            on_result=lambda result: metrics.mails.labels(result).inc(),
        ),
        feed_waker=waker,
        revocation_log=RevocationLog(sessionmaker, waker, retention, clock),
    )


if TYPE_CHECKING:
    from auth_service.account.deps import AccountNeeds
    from auth_service.auth.deps import AuthNeeds
    from auth_service.deps import CoreNeeds
    from auth_service.mail.deps import MailNeeds
    from auth_service.mfa.deps import MfaNeeds
    from auth_service.oauth.deps import OAuthNeeds
    from auth_service.oidc.deps import OidcNeeds
    from auth_service.registration.deps import RegistrationNeeds
    from auth_service.revocations.deps import FeedNeeds
    from auth_service.sessions.deps import SessionsNeeds
    from auth_service.webauthn.deps import PasskeyNeeds

    def _gives_each_slice_what_it_needs(
        r: Registry,
    ) -> tuple[
        CoreNeeds,
        AccountNeeds,
        AuthNeeds,
        MailNeeds,
        MfaNeeds,
        OAuthNeeds,
        OidcNeeds,
        RegistrationNeeds,
        FeedNeeds,
        SessionsNeeds,
        PasskeyNeeds,
    ]:
        return (r, r, r, r, r, r, r, r, r, r, r)
