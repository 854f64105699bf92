"""Fixtures for the Vault API tests: a verified user, tokens, and hvac clients pointed at the live server."""

import hvac
import pytest
from django.db import connections
from django.utils import timezone
from django_redis import get_redis_connection

from accounts.services.limits import LOGIN_ACCOUNT, LOGIN_IP, ip_subject
from accounts.services.throttle import throttle_clear
from accounts.services.tokens import token_create
from tests.vault.vault_support import PASSWORD, make_user
from vault.services.budget import reveal_budget_reset

EMAIL = "api@example.test"


def clear_rate_counts() -> None:
    """Token ids repeat across test databases while Redis keeps counting: start each test from zero."""
    redis = get_redis_connection("default")
    for key in redis.scan_iter("keyhold:ratelimit:*"):
        redis.delete(key)


@pytest.fixture
def api_user(django_user_model):
    user = make_user(django_user_model, EMAIL)
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    clear_rate_counts()
    throttle_clear(LOGIN_ACCOUNT, EMAIL)
    throttle_clear(LOGIN_IP, ip_subject("127.0.0.1"))
    yield user
    reveal_budget_reset(user=user)


@pytest.fixture(autouse=True)
def _server_connections_close_after_each_request():
    """The live server answers each request in its own thread: with persistent connections (CONN_MAX_AGE)
    those threads would leave sessions open and keep the test database from being dropped."""
    conf = connections.settings["default"]
    saved = conf.get("CONN_MAX_AGE", 0)
    conf["CONN_MAX_AGE"] = 0
    yield
    conf["CONN_MAX_AGE"] = saved


def make_token(user, **options) -> str:
    options = {"can_read": True, "can_write": True, **options}
    return token_create(user=user, name="test", **options)[1]


@pytest.fixture
def token(api_user) -> str:
    return make_token(api_user)


def client_for(live_server, token: str | None) -> hvac.Client:
    return hvac.Client(url=live_server.url, token=token)


@pytest.fixture
def vault(live_server, token) -> hvac.Client:
    """hvac as a script would use it, with a full read/write token of api_user."""
    return client_for(live_server, token)


__all__ = ["PASSWORD", "client_for", "make_token"]
