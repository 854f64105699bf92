"""Argon2 parameters and sign-in cost: hash time per candidate against Django's default, and the
median time of a correct login versus a throttled one. Run: `python -m bench.login` (needs the
DATABASE_URL/REDIS_URL of a running stack; it creates and drops its own test database)."""

import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth.hashers import Argon2PasswordHasher  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.harness import compare  # noqa: E402

PASSWORD = "correct horse battery staple"  # noqa: S105 - a throw-away bench account
CANDIDATES = {
    "owasp-floor 19MiB t2 p1": (19 * 1024, 2, 1),
    "chosen 32MiB t3 p1": (32 * 1024, 3, 1),
    "46MiB t1 p1": (46 * 1024, 1, 1),
    "64MiB t2 p1": (64 * 1024, 2, 1),
}
DJANGO_DEFAULT = (Argon2PasswordHasher.memory_cost, Argon2PasswordHasher.time_cost, Argon2PasswordHasher.parallelism)


def hasher(memory: int, passes: int, lanes: int) -> Argon2PasswordHasher:
    candidate = Argon2PasswordHasher()
    candidate.memory_cost, candidate.time_cost, candidate.parallelism = memory, passes, lanes
    return candidate


def hashes_per_second(params, count: int = 8):
    h = hasher(*params)
    salt = h.salt()

    def round_():
        started = time.perf_counter()
        for _ in range(count):
            h.encode(PASSWORD, salt)
        return count / (time.perf_counter() - started)

    return round_


def login_timings(rounds: int = 25) -> tuple[float, float]:
    """Median seconds of a correct login and of one refused by a lockout, through the full stack."""
    from django.contrib.auth import get_user_model

    from accounts.services.limits import LOGIN_ACCOUNT
    from accounts.services.throttle import throttle_clear, throttle_failure

    user = get_user_model().objects.create_user(email="bench@example.test", password=PASSWORD)
    correct, throttled = [], []
    for _ in range(rounds):
        throttle_clear(LOGIN_ACCOUNT, user.email)
        client = Client()
        started = time.perf_counter()
        assert client.post("/accounts/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
        correct.append(time.perf_counter() - started)
        for _ in range(LOGIN_ACCOUNT.attempts):
            throttle_failure(LOGIN_ACCOUNT, user.email)
        started = time.perf_counter()
        assert Client().post("/accounts/login/", {"username": user.email, "password": PASSWORD}).status_code == 429
        throttled.append(time.perf_counter() - started)
    throttle_clear(LOGIN_ACCOUNT, user.email)
    return statistics.median(correct), statistics.median(throttled)


def main() -> None:
    print(f"Argon2 hash rate (hashes/s, one thread) vs Django's default m={DJANGO_DEFAULT[0]} t={DJANGO_DEFAULT[1]} "
          f"p={DJANGO_DEFAULT[2]}")  # fmt: skip
    for name, params in CANDIDATES.items():
        result = compare(name, keyhold=hashes_per_second(params), baseline=hashes_per_second(DJANGO_DEFAULT), bar=1.0)
        print(
            f"  {name:26s} {1000 / result.keyhold:6.1f} ms/hash  {result.keyhold:6.1f}/s  default "
            f"{1000 / result.baseline:6.1f} ms  ratio x{result.ratio:.2f} "
            f"(spread {result.spread[0]:.2f}-{result.spread[1]:.2f})"
        )
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            correct, throttled = login_timings()
        print(
            f"Login through the full stack: correct {correct * 1000:.1f} ms, "
            f"throttled {throttled * 1000:.1f} ms (medians)"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
