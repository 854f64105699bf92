"""Failure counters and lockouts in Redis, checked before any password hashing is done."""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from django_redis import get_redis_connection
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# When Redis cannot be reached, failures are counted in this process instead. Failing open would make a
# cache outage (or an attacker who causes one) a window for unlimited password and 2FA-code guessing;
# failing closed would lock everyone out. Per process, N web processes allow at most N times the attempts.
LOCAL_MAX_KEYS = 10_000
_local: dict[str, tuple[int, float]] = {}  # key -> (value, monotonic expiry)
_local_lock = threading.Lock()


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


def _local_ttl(key: str) -> int:
    with _local_lock:
        entry = _local.get(key)
    return max(0, int(entry[1] - time.monotonic()) + 1) if entry and entry[1] > time.monotonic() else 0


def _local_failure(limit: Limit, count_key: str, lock_key: str) -> int | None:
    now = time.monotonic()
    with _local_lock:
        if len(_local) >= LOCAL_MAX_KEYS:
            for key in [key for key, (_, expiry) in _local.items() if expiry <= now]:
                del _local[key]
            if len(_local) >= LOCAL_MAX_KEYS:
                # Bounded memory: drop the entry that expires first.
                del _local[min(_local, key=lambda key: _local[key][1])]
        count, expiry = _local.get(count_key, (0, now + limit.window))
        count = count + 1 if expiry > now else 1
        _local[count_key] = (count, expiry if expiry > now else now + limit.window)
        if count >= limit.attempts:
            _local[lock_key] = (1, now + limit.lockout)
            return limit.lockout
    return None


def _local_clear(*keys: str) -> None:
    with _local_lock:
        for key in keys:
            _local.pop(key, None)


def throttle_retry_after(limit: Limit, subject: str) -> int | None:
    """Seconds until `subject` may try again, or None when it is not locked."""
    _, lock_key = _keys(limit, subject)
    local = _local_ttl(lock_key)
    try:
        ttl = get_redis_connection("default").ttl(lock_key)
    except RedisError:
        logger.warning("throttle %s unavailable: cache unreachable, counting in this process", limit.name)
        ttl = 0
    # A lockout counted here while the cache was down holds after it comes back, and vice versa.
    ttl = max(ttl or 0, local)
    return ttl if ttl > 0 else None


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
        logger.warning("throttle %s unavailable: cache unreachable, counting in this process", limit.name)
        return _local_failure(limit, count_key, lock_key)
    return None


def throttle_clear(limit: Limit, subject: str) -> None:
    """Forget failures and any lockout for `subject` (staff action, or success where that is safe)."""
    _local_clear(*_keys(limit, subject))
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
        return [_local_ttl(_keys(limit, subject)[1]) > 0 for subject in subjects]
