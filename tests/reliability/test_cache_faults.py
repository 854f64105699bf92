"""The cache Redis full or down: the broker queue is untouched, pages work, sessions hold, guards still guard.

This module owns a cache and a broker, each configured as docker-compose.yml configures it (the cache
with a small maxmemory here so it fills in a moment); the site runs in this process against them.
"""

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services.limits import LOGIN_ACCOUNT, LOGIN_IP, ip_subject
from accounts.services.throttle import throttle_clear
from tests.broker import publishing_to
from tests.reliability.servers import RestartableRedis, compose_redis_options, queued
from tests.vault.vault_support import PASSWORD, make_user
from tests.waiting import wait_until
from vault.services import secret_create
from vault.tasks import shares_expire

pytestmark = [pytest.mark.fault, pytest.mark.reliability, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CACHE_MEMORY = 4 * 1024 * 1024
CANARY = "canary-cache-down-Hq3xP9"
LOGIN = "/accounts/login/"
BACKLOG = 50


@pytest.fixture
def servers(tmp_path, settings):
    cache_server = RestartableRedis(tmp_path / "cache", compose_redis_options("cache") | {"maxmemory": "4mb"})
    broker = RestartableRedis(tmp_path / "broker", compose_redis_options("broker"))
    cache_server.start()
    broker.start()
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": cache_server.url}}
    with publishing_to(broker.url):
        yield cache_server, broker
    cache_server.stop()
    broker.stop()


def evicted(server: RestartableRedis) -> int:
    return server.client().info("stats")["evicted_keys"]


def test_cache_filled_to_its_limit_evicts_and_leaves_the_broker_queue_alone(servers):
    cache_server, broker = servers
    for _ in range(BACKLOG):
        shares_expire.delay()
    assert queued(broker.client(), "maintenance") == BACKLOG

    blob = "x" * 64 * 1024
    written = 0
    while evicted(cache_server) < 100 and written < 2000:
        cache.set(f"fill:{written}", blob, 600)
        written += 1
    assert evicted(cache_server) >= 100, "the cache never filled up"
    print(f"cache full after {written} x 64 KiB writes; {evicted(cache_server)} keys evicted")

    # A full cache still takes writes (it evicts, as compose configures it) instead of refusing them...
    cache.set("probe", "still-writable", 60)
    assert cache.get("probe") == "still-writable"
    assert cache_server.client().info("memory")["used_memory"] <= CACHE_MEMORY * 1.1
    # ...and the broker, a separate server, lost nothing and evicted nothing.
    assert queued(broker.client(), "maintenance") == BACKLOG
    assert evicted(broker) == 0


@pytest.fixture
def person(django_user_model):
    user = make_user(django_user_model, "cache-down@example.test")
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    secret_create(owner=user, path="prod/db", fields={"password": CANARY})
    yield user
    # Lockouts counted in this process while the cache was down would outlive the test.
    throttle_clear(LOGIN_ACCOUNT, user.email)
    throttle_clear(LOGIN_IP, ip_subject("127.0.0.1"))


def timed_get(client: Client, url: str):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def test_cache_down_pages_still_work_and_the_session_survives_through_the_database(servers, person):
    cache_server, _broker = servers
    browser = Client()
    assert browser.post(LOGIN, {"username": person.email, "password": PASSWORD}).status_code == 302
    listing, detail = reverse("vault:secret-list"), reverse("vault:secret-detail", kwargs={"secret_path": "prod/db"})
    assert browser.get(listing).status_code == 200

    cache_server.stop()
    wait_until(lambda: not cache_server.answers(), timeout=5)
    for url in (listing, detail):
        response, seconds = timed_get(browser, url)
        # Still signed in (no redirect to the login page): the session came from the database.
        assert response.status_code == 200, (url, response.status_code)
        assert "prod/db" in response.content.decode()
        assert CANARY not in response.content.decode()
        assert seconds < 3, f"{url} took {seconds:.1f} s with the cache down"
        print(f"{url}: 200 in {seconds * 1000:.0f} ms with the cache down")

    # Signing in still works while the cache is down.
    assert Client().post(LOGIN, {"username": person.email, "password": PASSWORD}).status_code == 302

    # The reveal budget cannot be counted without the cache: revealing fails closed, with no value shown.
    reveal = reverse("vault:secret-reveal", kwargs={"secret_path": "prod/db"})
    refused = browser.post(reveal, {"version": 1, "password": PASSWORD})
    assert refused.status_code == 503
    assert CANARY not in refused.content.decode()


def test_cache_down_still_locks_an_account_after_five_wrong_passwords(servers, person):
    cache_server, _broker = servers
    cache_server.stop()
    wait_until(lambda: not cache_server.answers(), timeout=5)
    browser = Client()
    statuses = [browser.post(LOGIN, {"username": person.email, "password": f"wrong {n}"}).status_code for n in range(5)]
    # As with the cache up: without it the lockout is counted in the web process, so guessing stays bounded.
    assert statuses == [200, 200, 200, 200, 429]
    locked = browser.post(LOGIN, {"username": person.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert 800 < int(locked["Retry-After"]) <= 900
    # Clearing the lockout (the staff action) clears the one counted here too.
    throttle_clear(LOGIN_ACCOUNT, person.email)
    assert browser.post(LOGIN, {"username": person.email, "password": PASSWORD}).status_code == 302
