"""What the web benchmarks share: a signed-in bench user, its cookies, and the requests the load client sends."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie

from django.conf import settings

from bench.harness import smoke
from bench.server import Server
from bench.vault_pages import FIELDS, _bench_user, _fill, _signed_in
from vault.services import secret_create

# The servers' own settings for the bench: reveals are unlimited and the password confirmation never expires,
# so thousands of requests measure the reveal itself, not the budget refusing them.
SERVER_ENV = {"VAULT_REVEAL_BUDGET": str(10**9), "VAULT_REVEAL_REAUTH_SECONDS": str(10**6)}
# The DB view: a signed-in user's secret list, with this many secrets (a realistic first page).
LIST_SECRETS = 20
DB_VIEW = "/secrets/"
REVEAL_PATH = "bench/web/reveal"
# Smoke mode proves the path works end to end; a few requests do that as well as hundreds.
SMOKE_REQUESTS = 30
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@contextmanager
def web_user(email: str) -> Iterator[tuple[object, str]]:
    """A verified user with LIST_SECRETS secrets plus one to reveal, and the session cookie a browser would hold."""
    with _bench_user(email) as user:
        _fill(user, LIST_SECRETS)
        secret_create(owner=user, path=REVEAL_PATH, fields=FIELDS)
        client = _signed_in(user)
        yield user, f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def csrf(server: Server) -> tuple[str, str]:
    """A CSRF cookie and the form token that goes with it, as the login page hands them to a browser."""
    status, headers, body = server.get("/accounts/login/")
    cookie = SimpleCookie(headers.get("Set-Cookie", ""))
    match = _CSRF_INPUT.search(body)
    if status != 200 or settings.CSRF_COOKIE_NAME not in cookie or match is None:
        raise RuntimeError(f"no CSRF token from the login page (status {status})")
    return f"{settings.CSRF_COOKIE_NAME}={cookie[settings.CSRF_COOKIE_NAME].value}", match.group(1)


def db_view_request(session_cookie: str) -> dict:
    return {"path": DB_VIEW, "headers": {"Cookie": session_cookie}, "expect_text": "team0"}


def reveal_request(server: Server, session_cookie: str) -> dict:
    csrf_cookie, token = csrf(server)
    return {
        "method": "POST",
        "path": f"/secrets/reveal/{REVEAL_PATH}",
        "headers": {"Cookie": f"{session_cookie}; {csrf_cookie}", "Content-Type": "application/x-www-form-urlencoded"},
        "body": f"version=1&csrfmiddlewaretoken={token}",
        "expect_text": FIELDS["username"],
    }


def load(server: Server, request: dict, *, connections: int, requests: int, background: dict | None = None) -> dict:
    """Figures of `requests` requests over `connections` connections (plus `background` load, if any)."""
    from bench.loadclient import drive

    if smoke():
        requests = min(requests, SMOKE_REQUESTS)
    groups = [{"name": "measured", "connections": connections, "requests": requests, "request": request}]
    if background:
        groups.append({"name": "background", **background})
    figures = drive({"port": server.port, "groups": groups})
    measured = figures["measured"]
    if measured["errors"]:
        raise RuntimeError(f"{measured['errors']} bench requests failed, first: {measured['first_error']}")
    return figures
