"""A bound on concurrent password hashing per machine, shared by all its web processes through Redis.

Argon2 is built to take a core for tens of milliseconds. Unbounded, a flood of sign-ins runs as many
hashes as there are workers and threads, and every other page waits for a core behind them
(bench/web_login.py: login_storm). With at most one hash per core, the server still signs people in
as fast as its cores allow (login_rate), and a sign-in that finds no slot within WAIT_SECONDS is
answered with 503 and Retry-After instead of queueing in front of everyone else.
"""

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django_redis import get_redis_connection
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Cores this process may run on (a container's CPU set, not the host's): one hash per core at most.
HASHING_SLOTS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
# Per machine: the cores being protected are this host's, and several web hosts may share one Redis.
SLOTS_KEY = f"keyhold:hashing-slots:{socket.gethostname()}"
# A release pushes a token here, and a waiting sign-in blocks on it: the freed core starts its next hash
# at once instead of at the waiter's next look (polling every 10 ms cost login_rate about 6%).
WAKE_KEY = f"{SLOTS_KEY}:freed"
# A slot this old belongs to a process killed mid-hash (a hash takes well under a second): reclaim it.
STALE_SECONDS = 30
RETRY_AFTER_SECONDS = 1


# How long a sign-in waits for a slot before the 503: about two hashes, so a short burst is smoothed out
# (every core stays busy between one hash and the next) while a flood is still refused quickly. A waiting
# sign-in holds a worker thread: at 1 s, login_storm's p99 ratio went from 2.2 to 20 (16 waiting logins
# filled the threads the pages needed).
WAIT_SECONDS = 0.2
# The longest a waiter blocks without a wake-up before it looks again: a slot can also free up by going
# stale, which sends none. Well under the cache connection's 1 s socket timeout.
LOOK_AGAIN_SECONDS = 0.05


@contextmanager
def hashing_slot(*, slots: int = HASHING_SLOTS, wait: float = WAIT_SECONDS) -> Iterator[bool]:
    """Hold one of `slots` hashing slots for the block and yield True; False when all stayed taken for `wait` s.

    Slots are ranked by arrival in a Redis sorted set, so concurrent arrivals never both take the last
    one. Fails open when Redis is down (logged): the bound protects capacity, not secrets.
    """
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    try:
        redis = get_redis_connection("default")
        while not (taken := _take(redis, token, slots)) and (left := deadline - time.monotonic()) > 0:
            redis.zrem(SLOTS_KEY, token)
            # Redis reads a timeout under a millisecond as 0, which means "block for ever".
            redis.blpop([WAKE_KEY], timeout=max(0.01, min(left, LOOK_AGAIN_SECONDS)))
    except RedisError:
        logger.warning("hashing slots unavailable (Redis error); hashing without the bound")
        yield True
        return
    try:
        yield taken
    finally:
        try:
            _release(redis, token, slots, held=taken)
        except RedisError:
            logger.warning("could not release a hashing slot; it is reclaimed after %s s", STALE_SECONDS)


def _take(redis, token: str, slots: int) -> bool:
    now = time.time()
    pipe = redis.pipeline()  # MULTI/EXEC: the reclaim, the arrival and its rank in one step
    pipe.zremrangebyscore(SLOTS_KEY, "-inf", now - STALE_SECONDS)
    pipe.zadd(SLOTS_KEY, {token: now})
    pipe.zrank(SLOTS_KEY, token)
    pipe.expire(SLOTS_KEY, STALE_SECONDS)
    return pipe.execute()[2] < slots


def _release(redis, token: str, slots: int, *, held: bool) -> None:
    pipe = redis.pipeline()
    pipe.zrem(SLOTS_KEY, token)
    if held:
        # One token per freed slot; a token nobody waits for only makes a later waiter look once more.
        pipe.lpush(WAKE_KEY, 1)
        pipe.ltrim(WAKE_KEY, 0, slots - 1)
        pipe.expire(WAKE_KEY, STALE_SECONDS)
    pipe.execute()
