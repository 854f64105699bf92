"""Argon2id with Keyhold's parameters, chosen by measurement (bench/login.py) rather than Django's default."""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.hashers import Argon2PasswordHasher

from accounts.services.hashslots import HASHING_SLOTS

# Hashing runs at this niceness, so a page request on the same core goes first and a flood of sign-ins
# only uses what the pages leave (bench/web_login.py login_storm); on an idle server it is as fast as ever.
HASHING_NICENESS = 10
_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _lower_this_threads_priority() -> None:
    # On Linux niceness is per thread, so only the hashing thread is lowered; elsewhere hash at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


def hashing_pool() -> ThreadPoolExecutor:
    """This process's low-priority hashing threads (created after any fork), one per hashing slot.

    As many as the machine has slots, not one: the slots are shared by all web processes, so two sign-ins
    holding both may land in the same process, and one thread would hash them in turn while a core idles
    (bench login_rate: 0.68 with one thread, 0.76 with two, same run).
    """
    with _pools_lock:
        pool = _pools.get(os.getpid())
        if pool is None:
            pool = ThreadPoolExecutor(
                HASHING_SLOTS, thread_name_prefix="argon2", initializer=_lower_this_threads_priority
            )
            _pools[os.getpid()] = pool
        return pool


class KeyholdArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at 32 MiB, 3 passes, 1 lane: above OWASP's floor (19 MiB, 2 passes, 1 lane).

    Measured with an earlier version of bench/login.py on the shared 2-core development machine (medians of 7
    A/B rounds against Django's default, which measured 129-291 ms in the same rounds):
      OWASP floor 19 MiB t=2 p=1 ........ 23 ms/hash, 43/s, x8.1 Django's rate
      chosen      32 MiB t=3 p=1 ........ 79 ms/hash, 13/s, x1.8 (50 ms on a quiet machine)
      46 MiB t=1 p=1 .................... 83 ms/hash, 12/s, x3.1
      64 MiB t=2 p=1 .................... 118 ms/hash, 8/s, x1.1
    A correct login through the whole stack took 85 ms (median); a throttled one 2.3 ms.
    `make bench BENCH="argon2_chosen login_throttle"` re-measures the chosen row and the login cost.
    Why 32 MiB x 3: more work per guess than the OWASP floor for an attacker, while eight
    concurrent logins (2 workers x 4 threads) need 256 MiB instead of Django's 800 MiB, and a
    login stays well under 100 ms. Lanes do not help on a 2-core server busy with other requests.

    The algorithm name stays "argon2": hashes made with Django's defaults still verify, and
    `must_update` rehashes them with these parameters at the next successful login.
    """

    time_cost = 3
    memory_cost = 32 * 1024
    parallelism = 1

    def encode(self, password, salt):
        return hashing_pool().submit(super().encode, password, salt).result()

    def verify(self, password, encoded):
        return hashing_pool().submit(super().verify, password, encoded).result()
