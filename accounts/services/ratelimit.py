"""Request rate limits per API token: a fixed one-minute window counted in Redis."""

import logging
import time

from django_redis import get_redis_connection
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def rate_key(subject: str, *, now: float | None = None) -> str:
    """The counter of `subject` for the window `now` falls in (it expires a second after the window)."""
    now = time.time() if now is None else now
    return f"keyhold:ratelimit:{subject}:{int(now) // WINDOW_SECONDS}"


def rate_verdict(*, count: int | None, limit: int, now: float | None = None) -> int | None:
    """Seconds until the window ends when `count` (None: not counted, Redis down) is over `limit`, else None."""
    if count is None or limit <= 0 or count <= limit:
        return None
    now = time.time() if now is None else now
    return max(1, (int(now) // WINDOW_SECONDS + 1) * WINDOW_SECONDS - int(now))


def rate_take(*, subject: str, limit: int, now: float | None = None) -> int | None:
    """Count one request by `subject`; seconds until its window ends when it is over `limit`, else None.

    `limit` 0 means unlimited. Fails open when Redis is down (logged): the rate limit protects capacity,
    while what guards secrets (the reveal budget) fails closed on its own.
    """
    if limit <= 0:
        return None
    now = time.time() if now is None else now
    key = rate_key(subject, now=now)
    try:
        pipe = get_redis_connection("default").pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS + 1)
        count, _ = pipe.execute()
    except RedisError:
        logger.warning("api rate limit unavailable: cache unreachable")
        return None
    return rate_verdict(count=count, limit=limit, now=now)
