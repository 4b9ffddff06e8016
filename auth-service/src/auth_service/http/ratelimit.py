"""Log-in and client-authentication attempts, limited in Redis (and, with an instance of
their own, the requests that mail someone: counts per client address or account, and a
cooldown per email).

- Per account and client address: at the limit, `429` even for the right password, but
  from that address only.
- Per account, from any address: never a refusal (a stranger could keep the owner out),
  a growing delay once the account has had its share of failures in the window.
- Per client address (an IPv4 address, an IPv6 /64): at the limit, `429`.
- Service clients: per address only, in a key space of their own; their secrets are 256
  random bits, so a per-client limit would protect nothing and let anyone lock them out.
  Their count is read before the secret is checked and written only on a failure (one
  Redis call for a grant that succeeds): simultaneous wrong secrets can pass the limit by
  as many as arrive together, which guessing 256 bits cannot use.

Each attempt is reserved in one atomic Redis step before the secret is checked, so any
number of simultaneous guesses cannot all slip under a limit; a success gives its
reservation back, a failure leaves it counted.

Without Redis, log-in keeps working: the counts move into this process with limits
halved (each replica counts on its own, so stricter is the safe side), and go back to
Redis as soon as it answers again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import NoReturn

import redis.asyncio as aioredis

from auth_service.errors import RateLimited
from auth_service.http.clientip import address_key
from auth_service.http.counts import (
    PEEK,
    RELEASE,
    RESERVE,
    Counter,
    LocalCounts,
    Reservation,
    hashed,
)
from auth_service.kv import REDIS_DOWN_ERRORS
from auth_service.observability.metrics import Metrics
from auth_service.users.addresses import email_key

logger = logging.getLogger("auth_service.ratelimit")

_RETRY_REDIS_AFTER = 5.0  # seconds without asking a Redis that just failed
_FIRST_DELAY = 1.0  # seconds; doubles with each further failure on the account


class FailureLimiter:
    """Failed log-ins and client authentications: counted, delayed, refused (429)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        per_account: int,
        per_ip: int,
        window: int,
        metrics: Metrics,
        *,
        delay_after: int = 10,
        max_delay: float = 10.0,
    ) -> None:
        self._redis = redis
        self._reserve_script = redis.register_script(RESERVE)
        self._release_script = redis.register_script(RELEASE)
        self._peek_script = redis.register_script(PEEK)
        self._per_account, self._per_ip = per_account, per_ip
        self._delay_after, self._max_delay = delay_after, max_delay
        self._window = window
        self._metrics = metrics
        self._local = LocalCounts(window)
        self._redis_down_until = 0.0
        # The clock of the delay; tests put a recorder in its place.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def reserve_login(self, email: str, ip: str) -> Reservation:
        """Count this log-in attempt, refuse it (429) at a limit, delay it on a busy account."""
        account, address = hashed(email_key(email)), address_key(ip)
        counters = (
            Counter(f"gh:rl:login:addr:{address}", self._per_ip, "login_address"),
            Counter(
                f"gh:rl:login:acct-addr:{account}:{address}",
                self._per_account,
                "login_account_address",
                clear_on_success=True,
            ),
            Counter(f"gh:rl:login:acct:{account}", 0, "login_account"),
        )
        reservation, counts = await self._reserve(counters)
        delay = self._delay_for(counts[2] - 1, halved=reservation.local)
        if delay > 0:
            self._metrics.login_delays.inc()
            await self.sleep(delay)
        return reservation

    async def check_client(self, ip: str) -> Counter:
        """A client authentication from this address: 429 when the address is at its limit of
        failures, else the counter that `client_failed` counts a wrong secret on."""
        counter = Counter(f"gh:rl:client:addr:{address_key(ip)}", self._per_ip, "client_address")
        if self._redis_usable():
            try:
                left = int(await self._peek_script(keys=[counter.key], args=[counter.limit]))
            except REDIS_DOWN_ERRORS:
                self._redis_failed()
            else:
                if left != -3:
                    self._refuse(counter, max(left, 0) / 1000)
                return counter
        count, seconds_left = self._local.get(counter.key)
        if count >= max(1, counter.limit // 2):
            self._refuse(counter, seconds_left)
        return counter

    async def client_failed(self, counter: Counter) -> None:
        """A wrong client secret: counted on the address (never refused here)."""
        await self._reserve((replace(counter, limit=0),))

    async def reserve_address(self, action: str, ip: str) -> Reservation:
        """Count one attempt of `action` per client address (429 at the limit), for attempts
        that name no account (a passkey's assertion); `release` gives a success back."""
        counter = Counter(
            f"gh:rl:{action}:addr:{address_key(ip)}", self._per_ip, f"{action}_address"
        )
        reservation, _ = await self._reserve((counter,))
        return reservation

    async def reserve_counts(self, action: str, counts: dict[str, tuple[str, int]]) -> None:
        """Count one request of `action` on each of `counts` (its name: the value counted
        on, its limit in the window), 429 at a limit; never given back."""
        counters = tuple(
            Counter(f"gh:rl:{action}:{name}:{hashed(value)}", limit, f"{action}_{name}")
            for name, (value, limit) in counts.items()
        )
        await self._reserve(counters)

    async def start_cooldown(self, action: str, email: str, seconds: int) -> bool:
        """True, and the email's cooldown of `action` starts, when none is running; False
        inside one. One atomic step: of simultaneous requests exactly one gets True."""
        key = f"gh:cd:{action}:email:{hashed(email_key(email))}"
        if self._redis_usable():
            try:
                return bool(await self._redis.set(key, b"1", nx=True, ex=seconds))
            except REDIS_DOWN_ERRORS:
                self._redis_failed()
        return self._local.start_cooldown(key, seconds)

    async def mail_queued(self, action: str, email: str, limit: int) -> bool:
        """Counts a mail of `action` about to be queued to `email` in the window: True while
        that makes at most `limit`. Only mails count, never refused requests, so strangers
        use up the owner's quota only by mailing the owner the live link they need."""
        key = f"gh:mq:{action}:email:{hashed(email_key(email))}"
        if self._redis_usable():
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.set(key, 0, ex=self._window, nx=True)
                    pipe.incr(key)
                    _, count = await pipe.execute()
                return int(count) <= limit
            except REDIS_DOWN_ERRORS:
                self._redis_failed()
        return self._local.bump(key) <= max(1, limit // 2)

    async def release(self, reservation: Reservation, *, clear: bool = True) -> None:
        """The attempt succeeded: it is not a failure, and the address's own count is cleared
        (`clear=False`: given back only; a password whose second factor is still to come
        must not wipe out the wrong codes counted before it)."""
        if not clear:
            counters = tuple(replace(c, clear_on_success=False) for c in reservation.counters)
            reservation = replace(reservation, counters=counters)
        if not reservation.local and self._redis_usable():
            try:
                await self._release_script(
                    keys=[c.key for c in reservation.counters],
                    args=["clear" if c.clear_on_success else "decr" for c in reservation.counters],
                )
                return
            except REDIS_DOWN_ERRORS:
                self._redis_failed()
        self._local.release(reservation.counters)

    def _delay_for(self, earlier_failures: int, *, halved: bool = False) -> float:
        """Seconds to wait: none below the threshold, then 1, 2, 4… up to the maximum."""
        threshold = max(1, self._delay_after // 2) if halved else self._delay_after
        if earlier_failures < threshold:
            return 0.0
        return min(self._max_delay, _FIRST_DELAY * 2.0 ** min(earlier_failures - threshold, 32))

    async def _reserve(self, counters: tuple[Counter, ...]) -> tuple[Reservation, list[int]]:
        if self._redis_usable():
            try:
                result = await self._reserve_script(
                    keys=[c.key for c in counters],
                    args=[self._window, *(c.limit for c in counters)],
                )
            except REDIS_DOWN_ERRORS:
                self._redis_failed()
            else:
                if result[0] == 0:
                    self._refuse(counters[int(result[1]) - 1], max(int(result[2]), 0) / 1000)
                return Reservation(counters, local=False), [int(n) for n in result[1:]]
        outcome = self._local.reserve(counters)
        if isinstance(outcome, tuple):
            self._refuse(*outcome)
        return Reservation(counters, local=True), outcome

    def _refuse(self, counter: Counter, seconds_left: float) -> NoReturn:
        self._metrics.rate_limited.labels(counter.metric).inc()
        raise RateLimited(max(1, math.ceil(seconds_left)))

    def _redis_usable(self) -> bool:
        return time.monotonic() >= self._redis_down_until

    def _redis_failed(self) -> None:
        if self._redis_usable():
            logger.warning(
                "redis unavailable: log-in limits fall back to this process "
                "(halved limits) until it answers"
            )
        self._redis_down_until = time.monotonic() + _RETRY_REDIS_AFTER
