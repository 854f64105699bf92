"""Failure counters and lockouts in Redis, checked before any password hashing is done."""

import hashlib
import logging
from dataclasses import dataclass

from django_redis import get_redis_connection
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """`attempts` failures within `window` seconds lock the key for `lockout` seconds."""

    name: str
    attempts: int
    window: int
    lockout: int


def _keys(limit: Limit, subject: str) -> tuple[str, str]:
    # Hashed, so the cache never holds email addresses or client IPs in the clear.
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    return f"keyhold:throttle:{limit.name}:count:{digest}", f"keyhold:throttle:{limit.name}:lock:{digest}"


def throttle_retry_after(limit: Limit, subject: str) -> int | None:
    """Seconds until `subject` may try again, or None when it is not locked."""
    _, lock_key = _keys(limit, subject)
    try:
        ttl = get_redis_connection("default").ttl(lock_key)
    except RedisError:
        # The cache is down: let people in rather than lock everyone out; the log says why.
        logger.warning("throttle %s unavailable: cache unreachable", limit.name)
        return None
    return ttl if ttl and ttl > 0 else None


def throttle_failure(limit: Limit, subject: str) -> int | None:
    """Count one failure; return the lockout in seconds when this failure triggered or extends one."""
    count_key, lock_key = _keys(limit, subject)
    try:
        redis = get_redis_connection("default")
        # One MULTI: the window starts with the first failure and the counter can never lose its
        # expiry (EXPIRE NX would need Redis 7; the embedded server is 6.2).
        pipe = redis.pipeline()
        pipe.set(count_key, 0, ex=limit.window, nx=True)
        pipe.incr(count_key)
        _, count = pipe.execute()
        if count >= limit.attempts:
            redis.set(lock_key, 1, ex=limit.lockout)
            return limit.lockout
    except RedisError:
        logger.warning("throttle %s unavailable: cache unreachable", limit.name)
    return None


def throttle_clear(limit: Limit, subject: str) -> None:
    """Forget failures and any lockout for `subject` (staff action, or success where that is safe)."""
    try:
        get_redis_connection("default").delete(*_keys(limit, subject))
    except RedisError:
        logger.warning("throttle %s unavailable: cache unreachable", limit.name)


def throttle_locked_many(limit: Limit, subjects: list[str]) -> list[bool]:
    """Whether each of `subjects` is locked now, in one round trip (for staff lists)."""
    if not subjects:
        return []
    try:
        pipe = get_redis_connection("default").pipeline(transaction=False)
        for subject in subjects:
            pipe.exists(_keys(limit, subject)[1])
        return [bool(found) for found in pipe.execute()]
    except RedisError:
        logger.warning("throttle %s unavailable: cache unreachable", limit.name)
        return [False] * len(subjects)
