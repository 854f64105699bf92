"""The API token cache (accounts.tokencache): it serves repeated requests without a lookup, never holds a token's
value or a password hash, lives at most TTL_SECONDS, and every change that ends a token is refused at once, also
by other gunicorn processes that had cached it."""

import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
from django.test import Client
from django.utils import timezone
from django_redis import get_redis_connection

from accounts import tokencache
from accounts.models import ApiToken
from accounts.services.tokens import token_hash, token_revoke
from accounts.services.users import user_deactivate
from devstack import ports
from tests import processes
from tests.api.conftest import make_token
from tests.waiting import wait_until

URL = "/v1/secret/config"


@pytest.fixture(autouse=True)
def _empty_cache():
    tokencache.forget_all()
    yield
    tokencache.forget_all()


def _status(client: Client) -> int:
    return client.get(URL).status_code


@pytest.mark.django_db
def test_a_token_is_looked_up_once_then_served_from_the_cache(api_user, django_assert_num_queries):
    value = make_token(api_user)
    client = Client(HTTP_X_VAULT_TOKEN=value)
    assert _status(client) == 200
    # The mount's config reads one row; the token costs no query any more.
    with django_assert_num_queries(1):
        assert _status(client) == 200


@pytest.mark.django_db
def test_the_cache_holds_neither_the_token_value_nor_the_password_hash(api_user):
    value = make_token(api_user)
    assert _status(Client(HTTP_X_VAULT_TOKEN=value)) == 200
    assert list(tokencache._entries) == [token_hash(value)]
    kept = tokencache._entries[token_hash(value)].token
    assert "password" not in kept.user.__dict__
    assert value not in repr(vars(kept)) + repr(vars(kept.user))
    redis = get_redis_connection("default")
    for key in redis.scan_iter("keyhold:*"):
        assert value.encode() not in key
        assert value.encode() not in (redis.get(key) if redis.type(key) == b"string" else b"")


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["revoke", "deactivate", "admin revoke"])
def test_a_change_that_ends_a_token_is_refused_at_once(api_user, admin_client, change):
    value = make_token(api_user)
    client = Client(HTTP_X_VAULT_TOKEN=value)
    assert _status(client) == 200
    token = ApiToken.objects.get(token_hash=token_hash(value))
    if change == "revoke":
        token_revoke(user=api_user, token_id=token.pk)
    elif change == "deactivate":
        user_deactivate(user=api_user, staff=None, request=None)
    else:
        admin_client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
        assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert _status(client) == 403


@pytest.mark.django_db
def test_an_entry_lives_at_most_its_ttl_and_not_past_a_lost_epoch(api_user, monkeypatch):
    value = make_token(api_user)
    client = Client(HTTP_X_VAULT_TOKEN=value)
    assert _status(client) == 200
    # Revoked behind the services' back (no epoch change): the entry still serves, which shows it is used ...
    ApiToken.objects.filter(token_hash=token_hash(value)).update(revoked_at=timezone.now())
    assert _status(client) == 200
    # ... until the epoch is gone (Redis restarted or evicted it): a new one is drawn, and no entry matches it.
    get_redis_connection("default").delete(tokencache.EPOCH_KEY)
    assert _status(client) == 403

    other = make_token(api_user)
    client = Client(HTTP_X_VAULT_TOKEN=other)
    monkeypatch.setattr(tokencache, "TTL_SECONDS", 0.3)
    assert _status(client) == 200
    ApiToken.objects.filter(token_hash=token_hash(other)).update(revoked_at=timezone.now())
    time.sleep(0.4)
    assert _status(client) == 403


def _requests(url: str, value: str, count: int) -> list[int]:
    """`count` requests from 8 threads at once, each on a new connection, so every gunicorn process gets some."""

    def one(_) -> int:
        request = urllib.request.Request(url, headers={"X-Vault-Token": value})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_is_refused_at_once_by_every_gunicorn_process(api_user, tmp_path):
    port = ports.free_port()
    env = os.environ | {"PORT": str(port), "WEB_CONCURRENCY": "2", "DATABASE_URL": processes.database_url()}
    web = processes.web_server(env, tmp_path / "gunicorn.log")
    url = f"http://127.0.0.1:{port}{URL}"
    value = make_token(api_user)
    try:
        wait_until(lambda: len(psutil.Process(web.pid).children()) == 2, timeout=90)
        wait_until(lambda: _requests(url, value, 1) == [200], timeout=90, interval=0.3)
        workers = psutil.Process(web.pid).children()
        before = [sum(worker.cpu_times()[:2]) for worker in workers]
        assert _requests(url, value, 80) == [200] * 80
        # Both processes served (and so cached) the token.
        spent = [sum(worker.cpu_times()[:2]) - was for worker, was in zip(workers, before, strict=True)]
        assert all(seconds > 0.02 for seconds in spent), spent
        token_revoke(user=api_user, token_id=ApiToken.objects.get(token_hash=token_hash(value)).pk)
        assert _requests(url, value, 80) == [403] * 80
    finally:
        web.terminate()
        web.wait(timeout=30)
