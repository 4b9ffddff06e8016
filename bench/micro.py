"""In-process figures the HTTP ones are compared with: RSA-2048 signing with `cryptography`
(the ceiling of token issuing), python-jose signing with a ready key (what the auth service
calls), one argon2id verification at the service's parameters (the cost of a log-in), and
auth-client's own verification micro-benchmark (auth-client/bench/bench_verify.py)."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from auth_service.security.passwords import PasswordHasher
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jose import jwk, jwt
from passlib.context import CryptContext

from bench.stack import ROOT

# A typical access token's signing input is ~500 bytes; the size barely matters (SHA-256).
_MESSAGE = b"x" * 500
_CLAIMS = {
    "iss": "http://localhost:8080/api/auth",
    "sub": "0" * 36,
    "aud": "resource-service",
    "exp": 2_000_000_000,
    "iat": 1_700_000_000,
    "nbf": 1_700_000_000,
    "jti": "j" * 22,
    "client_id": "gatehouse-web",
    "scope": "email openid profile",
    "sid": "1" * 36,
    "email": "someone@example.com",
}


@dataclass(frozen=True)
class Rate:
    per_second: float  # wall clock
    per_cpu_second: float  # this process's CPU time (robust to other processes' load)


def _loop(step: object, seconds: float) -> Rate:
    done = 0
    wall, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall < seconds:
        for _ in range(20):
            step()  # type: ignore[operator]
        done += 20
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Rate(done / wall, done / cpu if cpu else 0.0)


class Signer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jose_key = jwk.construct(self.key, "RS256")  # type: ignore[arg-type]

    def raw_rsa(self, seconds: float) -> Rate:
        """RSA-2048 PKCS#1 v1.5 SHA-256 signatures with `cryptography`, one thread."""
        key, pad, digest = self.key, padding.PKCS1v15(), hashes.SHA256()
        return _loop(lambda: key.sign(_MESSAGE, pad, digest), seconds)

    def jose_rs256(self, seconds: float) -> Rate:
        """A whole access token with python-jose and a ready key object, as the service does."""
        key, headers = self.jose_key, {"kid": "k", "typ": "at+jwt"}
        return _loop(lambda: jwt.encode(_CLAIMS, key, algorithm="RS256", headers=headers), seconds)


class Argon2:
    """argon2id through the auth service's own PasswordHasher settings (passlib, argon2-cffi)."""

    def __init__(self, memory_cost: int = 19_456, time_cost: int = 2, parallelism: int = 1):
        context = getattr(PasswordHasher(memory_cost, time_cost, parallelism), "_context", None)
        # (the service's own CryptContext; the same settings by hand if it ever moves)
        self.context = context or CryptContext(
            schemes=["argon2"],
            argon2__type="ID",
            argon2__memory_cost=memory_cost,
            argon2__rounds=time_cost,
            argon2__parallelism=parallelism,
        )
        self.password = "correct horse battery staple"  # noqa: S105 - a benchmark input
        self.hash = self.context.hash(self.password)

    def verify_seconds(self, count: int = 15) -> float:
        """Median wall time of one verification (one thread)."""
        times = []
        for _ in range(count):
            started = time.perf_counter()
            self.context.verify(self.password, self.hash)
            times.append(time.perf_counter() - started)
        return statistics.median(times)


def verifier_micro(seconds: float = 1.0) -> dict[str, float]:
    """auth-client/bench/bench_verify.py, run as it is; its rows, in tokens/s."""
    script = ROOT / "auth-client" / "bench" / "bench_verify.py"
    out = subprocess.run(
        [sys.executable, str(script), "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = {}
    for line in out.stdout.splitlines():
        match = re.match(r"\s+(.+?)\s{2,}([\d,]+) tokens/s", line)
        if match:
            rows[match.group(1).strip()] = float(match.group(2).replace(",", ""))
    return rows
