"""A short-lived, per-process cache of API tokens that authenticated, keyed by the token's SHA-256 hash.

Looking a token up cost a PostgreSQL round trip and about 0.5 ms of ORM work on every API request (a third of a
KV read; README Performance). Here each process keeps, for at most TTL_SECONDS, the token row and its user as they
were when a request proved the token usable: never the token's value (only its hash, which the database holds
too) and never the user's password hash (dropped from the kept copy).

Revocation takes effect at once in every process: an entry is used only while a random "epoch" in the cache
Redis is the one it was stored under, and every change that can end a token (revoke, renew, a user disabled or
edited by staff) replaces the epoch through `tokens_changed`. The epoch is read in the same round trip as the
per-token rate count (`check`), before the database is asked, so an entry stored after a change always carries
the new epoch or is stored from the changed row. A missing epoch (Redis restarted or evicted it) is replaced by
a new random one, so no earlier entry can ever match again; with Redis unreachable nothing is used from here.
"""

import copy
import logging
import secrets
import threading
import time
from dataclasses import dataclass

from django.db import transaction
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from accounts.models import ApiToken

logger = logging.getLogger(__name__)

TTL_SECONDS = 10.0
MAX_ENTRIES = 2048
EPOCH_KEY = "keyhold:tokens:epoch"

# KEYS[1] the epoch, KEYS[2] (optional) a rate-limit counter; ARGV[1] a fresh epoch in case there is none,
# ARGV[2] the counter's lifetime. Returns {epoch, count or 0}.
_CHECK = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end
local count = 0
if KEYS[2] then
  count = redis.call('INCR', KEYS[2])
  if count == 1 then redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2])) end
end
return {epoch, count}
"""
_script = None


@dataclass(frozen=True, slots=True)
class _Entry:
    epoch: bytes
    until: float
    token: ApiToken


_entries: dict[str, _Entry] = {}
# Threads of one gunicorn process share the entries; pruning iterates them, so changes hold the lock.
_lock = threading.Lock()


def check(*, rate_key: str | None, rate_seconds: int) -> tuple[bytes | None, int | None]:
    """(current epoch, rate count after this request) in one Redis round trip; (None, None) when Redis is down.

    Without `rate_key` only the epoch is read (count None).
    """
    global _script
    keys = [EPOCH_KEY, rate_key] if rate_key else [EPOCH_KEY]
    try:
        redis = get_redis_connection("default")
        if _script is None:
            _script = redis.register_script(_CHECK)
        epoch, count = _script(keys=keys, args=[secrets.token_hex(16), rate_seconds], client=redis)
    except RedisError:
        logger.warning("token cache and rate limit unavailable: cache unreachable")
        return None, None
    return epoch, (int(count) if rate_key else None)


def cached(digest: str, epoch: bytes | None) -> ApiToken | None:
    """A private copy of the token (with its user) stored under `epoch` less than TTL_SECONDS ago, or None."""
    entry = _entries.get(digest)
    if entry is None or epoch is None or entry.epoch != epoch or entry.until <= time.monotonic():
        return None
    # Copies, so a request that changes its token or user (last use, a related object fetched) changes only its own.
    token = copy.copy(entry.token)
    token.user = copy.copy(entry.token.user)
    return token


def remember(digest: str, epoch: bytes | None, token: ApiToken) -> None:
    """Keep a token that just authenticated, as read after `epoch` was (the order `check` then lookup gives)."""
    if epoch is None:
        return
    kept = copy.copy(token)
    kept.user = copy.copy(token.user)
    # Not needed to serve a request; if some code asks for it, Django loads it from the database as a deferred field.
    kept.user.__dict__.pop("password", None)
    now = time.monotonic()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            for stale in [key for key, entry in _entries.items() if entry.until <= now] or list(_entries):
                del _entries[stale]
        _entries[digest] = _Entry(epoch, now + TTL_SECONDS, kept)


def note_used(digest: str, token: ApiToken) -> None:
    """Carry a request's fresh last-use time into the entry, so the next requests do not record it again."""
    entry = _entries.get(digest)
    if entry is not None:
        entry.token.last_used_at = token.last_used_at


def _new_epoch() -> None:
    try:
        get_redis_connection("default").set(EPOCH_KEY, secrets.token_hex(16))
    except RedisError:
        # Other processes then keep their entries until TTL_SECONDS pass, while they can still read the old epoch.
        logger.warning("token cache epoch not replaced: cache unreachable")


def tokens_changed() -> None:
    """Make every process forget its cached tokens: now, and again when the caller's transaction commits.

    Call it after any change that can end or alter a token: the first replacement ends entries before the
    change is visible, the second those another process may have stored from the old row in between.
    """
    with _lock:
        _entries.clear()
    _new_epoch()
    transaction.on_commit(_new_epoch)


def forget_all() -> None:
    """This process's entries only (tests)."""
    with _lock:
        _entries.clear()
