"""Sign-in cost: the chosen Argon2id parameters against Django's default, and a throttled login
against a correct one.

argon2_chosen: hashes per second with `accounts.hashers.KeyholdArgon2PasswordHasher`'s parameters
against Django's stock Argon2 (100 MiB); the baseline is what Django would do by default, so the
ratio is the login throughput we gain (bar: no slower than the default). Other candidates measured
when choosing are recorded in the hasher's docstring.

login_throttle: a login refused by a lockout against a correct login, both through the full stack
(Django test client, real PostgreSQL and Redis). A correct login is the baseline because the whole
point of throttling before hashing is that a flood of refused attempts costs a fraction of it
(bar: at least 10x the rate).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client

from accounts.hashers import KeyholdArgon2PasswordHasher
from bench.harness import compare, rate

PASSWORD = "correct horse battery staple"  # noqa: S105 - a throw-away bench account
HASHES_PER_ROUND = 6
LOGINS_PER_ROUND = 10


def argon2_chosen():
    chosen, default = KeyholdArgon2PasswordHasher(), Argon2PasswordHasher()
    salt = chosen.salt()
    return compare(
        "argon2_chosen",
        keyhold=lambda: rate(lambda: chosen.encode(PASSWORD, salt), HASHES_PER_ROUND),
        baseline=lambda: rate(lambda: default.encode(PASSWORD, salt), HASHES_PER_ROUND),
        bar=1.0,
        unit="hashes/s",
        rounds=5,
    )


def login_throttle():
    from django.contrib.auth import get_user_model

    from accounts.services.limits import LOGIN_ACCOUNT
    from accounts.services.throttle import throttle_clear, throttle_failure

    user = get_user_model().objects.create_user(email="bench-login@example.test", password=PASSWORD)
    form = {"username": user.email, "password": PASSWORD}
    # One client, as one server process: a new Client() loads the middleware again, and with DEBUG off
    # WhiteNoise indexes every static file when it loads (13 ms, more than a throttled login itself).
    client = Client()

    def post_login() -> int:
        client.cookies.clear()  # a new visitor each time, never one already signed in
        return client.post("/accounts/login/", form).status_code

    def correct_login():
        throttle_clear(LOGIN_ACCOUNT, user.email)
        if post_login() != 302:
            raise RuntimeError("a correct bench login was not accepted")

    def throttled_login():
        if post_login() != 429:
            raise RuntimeError("a locked bench login was not refused")

    def throttled_round() -> float:
        for _ in range(LOGIN_ACCOUNT.attempts):
            throttle_failure(LOGIN_ACCOUNT, user.email)
        return rate(throttled_login, LOGINS_PER_ROUND)

    try:
        return compare(
            "login_throttle",
            keyhold=throttled_round,
            baseline=lambda: rate(correct_login, LOGINS_PER_ROUND),
            bar=10.0,
            unit="logins/s",
            rounds=5,
        )
    finally:
        throttle_clear(LOGIN_ACCOUNT, user.email)
        user.delete()


BENCHMARKS = {"argon2_chosen": argon2_chosen, "login_throttle": login_throttle}
