"""The reveal budget: at most VAULT_REVEAL_BUDGET distinct secrets per user per hour, counted in Redis."""

import logging
import threading
import time

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from vault.services.errors import RevealBudgetExceeded, RevealUnavailable

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600

# One atomic step, so concurrent reveals cannot both take the last slot. The window starts with the
# first reveal and the set expires with it; revealing a secret already in the set costs nothing.
# Returns the seconds left in the window: negative when refused, positive when allowed.
_TAKE = """
local allowed = redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1
if not allowed and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < 1 then ttl = 1 end
  return -ttl
end
if not allowed then redis.call('SADD', KEYS[1], ARGV[1]) end
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3])) end
return math.max(redis.call('TTL', KEYS[1]), 1)
"""

# (user id, secret id) -> monotonic time until which this process knows the secret is in the user's set.
# Revealing it again in that window costs nothing, so it need not ask Redis: on this 2-core VM the round
# trip is 0.46-0.6 ms inside a request (a PING costs the same as the script), the whole gap between a
# repeated reveal and a plain page (bench vault_reveal_no_audit, README). Only secrets already counted are
# remembered, so the bound on distinct secrets, and failing closed for any other, are unchanged.
_counted: dict[tuple[int, int], float] = {}
COUNTED_MAX = 10_000
# Threads of one gunicorn process share the memo; pruning iterates it, so changes hold the lock.
_counted_lock = threading.Lock()


def _key(user_id: int) -> str:
    return f"keyhold:vault:reveals:{user_id}"


def reveal_budget_take(*, user, secret_id: int) -> None:
    """Count a reveal of `secret_id` by `user`, or raise RevealBudgetExceeded (with retry_after seconds).

    Fails closed: RevealUnavailable when Redis cannot be reached, so a cache outage is not a way around it
    (a secret this process saw counted in the current window stays revealable, as it would with Redis up).
    """
    counted = (user.pk, secret_id)
    if _counted.get(counted, 0.0) > time.monotonic():
        return
    try:
        redis = get_redis_connection("default")
        result = int(redis.eval(_TAKE, 1, _key(user.pk), str(secret_id), settings.VAULT_REVEAL_BUDGET, WINDOW_SECONDS))
    except RedisError:
        logger.warning("reveal budget unavailable: cache unreachable")
        raise RevealUnavailable("Revealing is unavailable right now; try again in a moment.") from None
    if result < 0:
        raise RevealBudgetExceeded(
            f"You have revealed {settings.VAULT_REVEAL_BUDGET} different secrets in the last hour, the limit. "
            f"Try again in {-result // 60 + 1} minutes.",
            retry_after=-result,
        )
    _remember(counted, seconds_left=result)


def _remember(counted: tuple[int, int], *, seconds_left: int) -> None:
    now = time.monotonic()
    with _counted_lock:
        if len(_counted) >= COUNTED_MAX:
            for key in [key for key, until in _counted.items() if until <= now] or list(_counted):
                del _counted[key]
        # A second early, so this process never outlives the set's own expiry.
        _counted[counted] = now + seconds_left - 1


def reveal_budget_reset(*, user) -> None:
    """Forget a user's reveals in the current window (staff action; tests)."""
    with _counted_lock:
        for counted in [counted for counted in _counted if counted[0] == user.pk]:
            del _counted[counted]
    try:
        get_redis_connection("default").delete(_key(user.pk))
    except RedisError:
        logger.warning("reveal budget unavailable: cache unreachable")
