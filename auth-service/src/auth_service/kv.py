"""The Redis client: the denylist of revoked sessions, the rate limits, passkey challenges."""

from __future__ import annotations

import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

REDIS_DOWN_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


# Connections to Redis per process. Past it, a request waits (up to the socket timeout)
# for one to come free: redis-py's default pool would raise at once, and a burst of
# requests would look like Redis being down.
MAX_CONNECTIONS = 100


def create_redis(url: str) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=2.0,
        decode_responses=True,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
        # A pooled connection that died with a restarted Redis fails its next command with
        # a ConnectionError: redis-py drops it and runs the command once more on a fresh
        # connection. One retry, no backoff: a Redis that refuses connections still fails
        # the request at once. Timeouts are not retried: a Redis that does not answer would
        # hold the request for a multiple of socket_timeout (redis-py nests the retries of
        # its connect and handshake), not one.
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)),
        retry_on_error=[redis.exceptions.ConnectionError],
    )
    return aioredis.Redis.from_pool(pool)  # closing the client closes the pool
