"""Sign-in through a real gunicorn, loaded from a second process: how many logins the server completes, and
what a flood of them does to everyone else.

login_rate: correct logins per second (the login form's POST, CSRF and all, answered with the redirect
of a completed sign-in; one connection per core plus one, so a core never waits for work) against
cores / (one Argon2 verify of the same hash, timed in this process in the same round). The baseline is
the ceiling the hashing alone allows when every core hashes all the time, so the ratio is the share of
that ceiling the rest of the login (form, throttle checks, session, audit) and the server leave
(bar: >= 0.8).

login_storm: p99 of the DB view (`/secrets/`, a signed-in user, 2 connections) while 16 other
connections post correct logins as fast as the server answers (people all signing in at once: told
503 and Retry-After, a connection waits that second, as its user would), against the same p99 with no
logins (bar: <= 2.0). Hashing is by design the most expensive request the site serves; the idle p99 is the
right baseline because a login flood must not be a way to slow everyone else down. What keeps it so
is `accounts.services.hashslots`: one hash per core, and a 503 for the sign-ins beyond that. A client
that ignores Retry-After is a plain request flood, which costs the same with any cheap page and is for
the proxy's rate limits.
"""

import os
import sys
import time
from urllib.parse import urlencode

from django.contrib.auth.hashers import check_password

from accounts.services.hashslots import HASHING_SLOTS
from bench.harness import compare
from bench.server import gunicorn
from bench.vault_pages import PASSWORD
from bench.websetup import SERVER_ENV, csrf, db_view_request, load, web_user

# One connection per hashing slot and one more, waiting for the next free slot: every core hashes all the
# time, as in a busy hour, without the 503s a flood gets (a wait for one slot is shorter than WAIT_SECONDS).
LOGIN_CONNECTIONS = HASHING_SLOTS + 1
LOGINS_PER_ROUND = 40
VERIFIES_PER_ROUND = 6
PROBE_CONNECTIONS = 2
PROBE_REQUESTS = 400
FLOOD_CONNECTIONS = 16


def login_request(server, email: str) -> dict:
    csrf_cookie, token = csrf(server)
    return {
        "method": "POST",
        "path": "/accounts/login/",
        "headers": {"Cookie": csrf_cookie, "Content-Type": "application/x-www-form-urlencoded"},
        "body": urlencode({"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token}),
        "expect_status": 302,
    }


def login_rate():
    email = "bench-login-rate@example.test"
    with web_user(email) as (user, _), gunicorn(env=SERVER_ENV) as server:
        request = {**login_request(server, email), "expect_status": [302, 503]}

        def logins_per_second() -> float:
            figures = load(server, request, connections=LOGIN_CONNECTIONS, requests=LOGINS_PER_ROUND)["measured"]
            return figures["statuses"].get("302", 0) / figures["seconds"]

        def hashing_ceiling() -> float:
            started = time.perf_counter()
            for _ in range(VERIFIES_PER_ROUND):
                if not check_password(PASSWORD, user.password):
                    raise RuntimeError("the bench password did not verify")
            one_verify = (time.perf_counter() - started) / VERIFIES_PER_ROUND
            return (os.cpu_count() or 1) / one_verify

        return compare(
            "login_rate", keyhold=logins_per_second, baseline=hashing_ceiling, bar=0.8, unit="logins/s", rounds=5
        )


def login_storm():
    email = "bench-login-storm@example.test"
    with web_user(email) as (_, cookie), gunicorn(env=SERVER_ENV) as server:
        probe = db_view_request(cookie)
        # A refused sign-in (503, every core already hashing) is the bound doing its job, not a failure.
        flood = {
            "connections": FLOOD_CONNECTIONS,
            "request": {**login_request(server, email), "expect_status": [302, 503]},
            "honor_retry_after": True,
        }

        def p99(background=None):
            figures = load(server, probe, connections=PROBE_CONNECTIONS, requests=PROBE_REQUESTS, background=background)
            if background:
                flooded = figures["background"]
                if flooded["errors"] or not flooded["statuses"].get("302"):
                    raise RuntimeError(f"the bench login flood signed no one in: {flooded}")
                floods.append(flooded["statuses"])
            return figures["measured"]["p99_ms"]

        floods: list[dict] = []
        result = compare(
            "login_storm",
            keyhold=lambda: p99(flood),
            baseline=p99,
            bar=2.0,
            unit="ms p99, flood vs idle",
            rounds=5,
            higher_is_better=False,
        )
    sys.stderr.write(f"login_storm: flood answers per round (302 signed in, 503 every core busy): {floods}\n")
    return result


BENCHMARKS = {"login_rate": login_rate, "login_storm": login_storm}
