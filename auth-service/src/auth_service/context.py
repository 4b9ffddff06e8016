"""What the lifespan builds once and every request shares."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from auth_client.verifier import TokenVerifier
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.auth.ratelimit import LoginLimiter
from auth_service.config import Settings
from auth_service.keys.service import KeyStore
from auth_service.observability.metrics import Metrics
from auth_service.security.passwords import PasswordHasher
from auth_service.sessions.denylist import Denylist


@dataclass
class AuthContext:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    keys: KeyStore
    hasher: PasswordHasher
    denylist: Denylist
    login_limiter: LoginLimiter
    metrics: Metrics
    verifier: TokenVerifier
