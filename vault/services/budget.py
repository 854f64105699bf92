"""The reveal budget: at most VAULT_REVEAL_BUDGET distinct secrets per user per hour, counted in Redis."""

import logging

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from vault.services.errors import RevealBudgetExceeded, RevealUnavailable

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600

# One atomic step, so concurrent reveals cannot both take the last slot. The window starts with the
# first reveal and the set expires with it; revealing a secret already in the set costs nothing.
# Returns the set's TTL as a negative number when refused, 1 when allowed.
_TAKE = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < 1 then ttl = 1 end
  return -ttl
end
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3])) end
return 1
"""


def _key(user_id: int) -> str:
    return f"keyhold:vault:reveals:{user_id}"


def reveal_budget_take(*, user, secret_id: int) -> None:
    """Count a reveal of `secret_id` by `user`, or raise RevealBudgetExceeded (with retry_after seconds).

    Fails closed: RevealUnavailable when Redis cannot be reached, so a cache outage is not a way around it.
    """
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


def reveal_budget_reset(*, user) -> None:
    """Forget a user's reveals in the current window (staff action; tests)."""
    try:
        get_redis_connection("default").delete(_key(user.pk))
    except RedisError:
        logger.warning("reveal budget unavailable: cache unreachable")
