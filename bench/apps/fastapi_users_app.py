"""fastapi-users (https://fastapi-users.github.io), set up as its documentation's SQLAlchemy
example, for the side-by-side figures. Runs in the benchmark's own throw-away environment
(.bench-venv/): fastapi-users is never a dependency of Gatehouse.

Two JWT backends, each a FastAPIUsers instance of its own:
- `/auth/jwt/login`, `/users/me`: the documented default, HS256 under a shared secret;
- `/rs/auth/jwt/login`, `/rs/users/me`: RS256 with an RSA-2048 key pair given as PEM strings
  (the documented way; PyJWT then parses the PEM on every call), as Gatehouse signs.
Passwords: argon2id at Gatehouse's parameters (m=19456 KiB, t=2, p=1), through pwdlib.
Users live in PostgreSQL (BENCH_FU_DATABASE_URL, asyncpg), as Gatehouse's do.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.password import PasswordHelper
from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(schemas.BaseUserCreate):
    pass


class UserUpdate(schemas.BaseUserUpdate):
    pass


def _rsa_pems() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private.decode(), public.decode()


def create_app() -> FastAPI:
    engine = create_async_engine(os.environ["BENCH_FU_DATABASE_URL"], pool_size=10, max_overflow=10)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    secret = os.environ.get("BENCH_FU_SECRET", "bench-secret-" + uuid.uuid4().hex)
    private_pem, public_pem = _rsa_pems()
    # Gatehouse's argon2id parameters (pwdlib's defaults are t=3, m=64 MiB, p=4).
    passwords = PasswordHelper(
        PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19_456, parallelism=1),))
    )

    class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
        reset_password_token_secret = secret
        verification_token_secret = secret

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    async def get_user_db(
        session: AsyncSession = Depends(get_session),
    ) -> AsyncIterator[SQLAlchemyUserDatabase[User, uuid.UUID]]:
        yield SQLAlchemyUserDatabase(session, User)

    async def get_user_manager(
        user_db: SQLAlchemyUserDatabase[User, uuid.UUID] = Depends(get_user_db),
    ) -> AsyncIterator[UserManager]:
        yield UserManager(user_db, passwords)

    def hs256() -> JWTStrategy[User, uuid.UUID]:
        return JWTStrategy(secret=secret, lifetime_seconds=900)

    def rs256() -> JWTStrategy[User, uuid.UUID]:
        return JWTStrategy(
            secret=private_pem, lifetime_seconds=900, algorithm="RS256", public_key=public_pem
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    for prefix, strategy in (("", hs256), ("/rs", rs256)):
        backend = AuthenticationBackend(
            name=f"jwt{prefix.strip('/')}",
            transport=BearerTransport(tokenUrl=f"{prefix.lstrip('/')}auth/jwt/login"),
            get_strategy=strategy,
        )
        users = FastAPIUsers[User, uuid.UUID](get_user_manager, [backend])
        app.include_router(users.get_auth_router(backend), prefix=f"{prefix}/auth/jwt")
        app.include_router(users.get_users_router(UserRead, UserUpdate), prefix=f"{prefix}/users")
        if not prefix:
            app.include_router(users.get_register_router(UserRead, UserCreate), prefix="/auth")

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    return app
