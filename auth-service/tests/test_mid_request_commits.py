"""What a service commits before its request ends (`transactions.Why`) stays when the
request then fails and its transaction rolls back. The services are called as a route calls
them, inside the request's transaction (`service_kit.db.transaction`), with no HTTP."""

from __future__ import annotations

import pytest
from auth_service.account.links import Purpose
from auth_service.errors import InvalidCredentials, LinkTokenRejected, RefreshTokenReused
from auth_service.registry import Registry
from auth_service.sessions.pairs import TokenPair
from service_kit.db import transaction
from sqlalchemy import text

from tests.helpers import PASSWORD

ANN = "ann@example.org"
UA, IP = "pytest", "192.0.2.10"


class RouteFailed(Exception):
    """What a route raises after the service returned: the request's transaction rolls back."""


async def _signed_up(services: Registry) -> TokenPair:
    async with transaction(services.sessionmaker) as db:
        pair = await services.auth.sign_up(db, email=ANN, password=PASSWORD, user_agent=UA, ip=IP)
    assert pair is not None  # the settings do not require a verified email
    return pair


async def _events(db, event: str) -> int:
    return await db.fetchval("SELECT count(*) FROM audit_events WHERE event = $1", event)


async def test_a_wrong_password_is_audited_though_its_request_rolls_back(services, db) -> None:
    await _signed_up(services)
    with pytest.raises(InvalidCredentials):
        async with transaction(services.sessionmaker) as session:
            await services.auth.log_in(
                session, email=ANN, password="wrong-pass-1", user_agent=UA, ip=IP
            )
    assert await _events(db, "login_failed") == 1


async def test_a_rejected_link_is_audited_though_its_request_rolls_back(services, db) -> None:
    with pytest.raises(LinkTokenRejected):
        async with transaction(services.sessionmaker) as session:
            await services.account.spend(session, "not-a-token", Purpose.RESET_PASSWORD, "reset")
    assert await _events(db, "link_rejected") == 1


async def test_a_rotation_stays_when_the_request_fails_after_it(services, db) -> None:
    pair = await _signed_up(services)
    with pytest.raises(RouteFailed):
        async with transaction(services.sessionmaker) as session:
            # A statement first: the rotation's UPDATE then runs inside an open transaction
            # (alone, PostgreSQL would make it atomic on its own, as `db.fetchrow` says).
            await (await session.connection()).execute(text("SELECT 1"))
            successor = await services.sessions.rotate(session, pair.refresh_token)
            raise RouteFailed
    async with transaction(services.sessionmaker) as session:  # the successor is current
        after = await services.sessions.rotate(session, successor.refresh_token)
    assert after.sid == pair.sid and after.refresh_token != successor.refresh_token
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE revoked_at IS NULL") == 1


async def test_a_session_ended_for_reuse_stays_ended_though_the_401_rolls_back(
    make_services, db
) -> None:
    async with make_services(refresh_reuse_grace=0) as services:
        pair = await _signed_up(services)
        async with transaction(services.sessionmaker) as session:
            await services.sessions.rotate(session, pair.refresh_token)
        with pytest.raises(RefreshTokenReused):
            async with transaction(services.sessionmaker) as session:
                await services.sessions.rotate(session, pair.refresh_token)
    revoked = await db.fetchval("SELECT revoked_reason FROM sessions WHERE id::text = $1", pair.sid)
    assert revoked == "reuse"
    assert await _events(db, "refresh_reuse_revoked_session") == 1
