"""Access tokens for the "new token on every request" load: minted with the auth service's
own signing key (read from its database, unsealed with its key-encryption key) by the auth
service's own `access.issue`, i.e. exactly the tokens it would hand out, without paying a
log-in for each. Two processes share the signing."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auth_service import registry
from auth_service.config import DEV_KEY_ENCRYPTION_KEY, Settings
from auth_service.timeutil import utcnow
from auth_service.tokens import access
from cryptography.hazmat.primitives import serialization
from jose import jwk, jwt


@dataclass(frozen=True)
class _Signer:
    kid: str
    signer: Any


class _OneKeyRing:
    """What `access.issue` needs of a key ring: the signing key."""

    def __init__(self, kid: str, private_pem: bytes) -> None:
        self._key = _Signer(kid, jwk.construct(private_pem, "RS256"))

    def access_signer(self, now: object) -> _Signer:
        return self._key


async def _signing_key(env: Mapping[str, str]) -> tuple[str, bytes]:
    settings = Settings(
        database_url=env["AUTH_DATABASE_URL"],
        issuer=env["AUTH_ISSUER"],
        key_encryption_key=env.get("AUTH_KEY_ENCRYPTION_KEY") or DEV_KEY_ENCRYPTION_KEY,
        dev_mode=env.get("AUTH_DEV_MODE", "").lower() in ("1", "true", "yes"),
    )
    async with registry.build(settings) as built:
        await built.keys.reload()
        key = built.keys.ring.access_signer(utcnow())
    private = key.signer.prepared_key  # type: ignore[union-attr]
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key.kid, pem


def _mint(job: tuple[str, bytes, dict[str, Any], int]) -> list[str]:
    kid, pem, claims, count = job
    ring, now = _OneKeyRing(kid, pem), utcnow()
    return [
        access.issue(
            ring,  # type: ignore[arg-type]
            issuer=claims["iss"],
            audience=claims["aud"],
            ttl=3600,
            now=now,
            sub=claims["sub"],
            scope=claims["scope"],
            client_id=claims["client_id"],
            sid=claims.get("sid"),
            email=claims.get("email"),
        )
        for _ in range(count)
    ]


def mint_like(env: Mapping[str, str], example: str, count: int, out: Path) -> int:
    """Write `count` distinct tokens with the claims of `example` (each its own jti) to `out`."""
    kid, pem = asyncio.run(_signing_key(env))
    claims = jwt.get_unverified_claims(example)
    workers = 2
    jobs = [
        (kid, pem, claims, count // workers + (1 if n < count % workers else 0))
        for n in range(workers)
    ]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        tokens = [token for part in pool.map(_mint, jobs) for token in part]
    out.write_text("\n".join(tokens) + "\n")
    return len(set(tokens))
