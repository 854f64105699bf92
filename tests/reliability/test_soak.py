"""A load soak: a fixed-rate mix for KEYHOLD_SOAK_SECONDS (default 5 minutes) against a real gunicorn and Celery worker.

Sign-ins, secret reads (KV v2 API and the signed-in reveal page), KV v2 writes and line-protocol ingest
run at a steady 40 requests/s (tests/reliability/soak_support.py). The run must end with no error, every
write and reading stored exactly once, the last minute's p99 within 2x the first's, and the resident memory
of the web and worker processes grown under 10%. PostgreSQL, the cache and MongoDB are the session's; the
broker is this test's own, so no other worker of the session takes its tasks.
"""

import os
import time

import pytest
import redis

from accounts.services.limits import LOGIN_ACCOUNT, LOGIN_IP, ip_subject
from accounts.services.throttle import throttle_clear
from accounts.services.tokens import token_create
from bench.server import gunicorn
from bench.websetup import SERVER_ENV, web_user
from devstack.servers.redis import BrokerRedisServer
from telemetry.services.sensors import sensor_create
from tests.api.conftest import clear_rate_counts
from tests.processes import database_url
from tests.reliability import soak_support as soak
from tests.reliability.servers import queued
from tests.telemetry import held
from tests.telemetry.test_worker_faults import Workers
from tests.waiting import wait_until
from vault.models import Secret

SECONDS = float(os.environ.get("KEYHOLD_SOAK_SECONDS", "300"))
pytestmark = [
    pytest.mark.reliability,
    pytest.mark.serial,
    pytest.mark.soak,
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    # The load itself, plus the servers' start, the readings' arrival and the figures.
    pytest.mark.timeout(SECONDS + 240),
]
# The first and the last minute; a short development run compares its first and last thirds instead.
WINDOW = min(60.0, SECONDS / 3)
EMAIL = "soak@example.test"
P99_GROWTH_LIMIT = 2.0
RSS_GROWTH_LIMIT = 0.10
SERVER_SETTINGS = {
    **SERVER_ENV,
    # 21 API requests/s on one token is above the per-minute limit: the soak measures the site, not the limiter.
    "VAULT_API_RATE_LIMIT": str(10**6),
    # No recycling of web workers (the site's default is every ~2000 requests): a leak would be reset before
    # it showed, and the same worker pids must be measured at the start and at the end.
    "GUNICORN_MAX_REQUESTS": "0",
    "WEB_CONCURRENCY": "2",
}


@pytest.fixture
def broker(tmp_path):
    server = BrokerRedisServer(tmp_path / "broker", throwaway=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def accounts(mongo_db):
    with web_user(EMAIL) as (user, session_cookie):
        clear_rate_counts()
        throttle_clear(LOGIN_ACCOUNT, EMAIL)
        throttle_clear(LOGIN_IP, ip_subject("127.0.0.1"))
        _token, api_token = token_create(user=user, name="soak", can_read=True, can_write=True)
        sensor, sensor_token = sensor_create(owner=user, name="soak")
        yield soak.Accounts(EMAIL, session_cookie, api_token, sensor_token), user, sensor
        clear_rate_counts()


@pytest.fixture
def workers(broker, tmp_path, settings):
    env = {
        **os.environ,
        **SERVER_SETTINGS,
        "CELERY_BROKER_URL": broker.url,
        "DATABASE_URL": database_url(),
        "MONGODB_URL": settings.MONGODB_URL,
    }
    started = Workers(env, tmp_path)
    yield started
    started.stop_all()


def test_a_five_minute_mixed_load_has_no_error_a_stable_p99_and_flat_memory(broker, accounts, workers, mongo_db):
    credentials, user, sensor = accounts
    worker = workers.start()
    base_seconds = int(time.time())
    with gunicorn(workers=2, env=workers.env) as server:
        master = soak.gunicorn_master(server.port)
        plan = soak.plan(server, credentials, seconds=SECONDS, base_seconds=base_seconds)
        load = soak.Load(plan, seconds=SECONDS)
        started = time.monotonic()
        load.start()
        soak.wait_until_moment(started + WINDOW)
        web_first, worker_first = soak.family_rss(master), soak.family_rss(worker)
        figures = load.result()
        web_end, worker_end = soak.family_rss(master), soak.family_rss(worker)

    counts = soak.requests_of(SECONDS)
    first = soak.window(figures, 0, WINDOW)
    last = soak.window(figures, SECONDS - WINDOW, SECONDS + 60)
    for kind, group in figures.items():
        head, tail = soak.window({kind: group}, 0, WINDOW), soak.window({kind: group}, SECONDS - WINDOW, SECONDS + 60)
        print(
            f"soak {kind}: {group['requests']} requests, {group['errors']} errors {group['statuses']}, p50/p99 "
            f"first {head['p50']:.1f}/{head['p99']:.1f} ms, last {tail['p50']:.1f}/{tail['p99']:.1f} ms"
        )
    print(f"soak web rss MB first {soak.megabytes(web_first)} end {soak.megabytes(web_end)}")
    print(f"soak worker rss MB first {soak.megabytes(worker_first)} end {soak.megabytes(worker_end)}")
    web_growth = sum(web_end.values()) / sum(web_first.values()) - 1
    worker_growth = sum(worker_end.values()) / sum(worker_first.values()) - 1

    errors = {kind: group["first_error"] for kind, group in figures.items() if group["errors"]}
    assert errors == {}, errors
    assert {kind: group["requests"] for kind, group in figures.items()} == counts

    # Every write acknowledged (200 above) is a version: the first write made version 1.
    assert Secret.objects.get(owner=user, path=soak.WRITE_PATH).current_version == counts["api_write"]
    # Every reading stored exactly once: one copy per (metric, timestamp), none missing, none extra.
    expected = counts["ingest"] * soak.LINES_PER_INGEST
    wait_until(lambda: held.count(mongo_db, sensor.pk) >= expected, timeout=60, interval=0.5)
    stored = held.physical(mongo_db, sensor.pk)
    assert len(stored) == len({(metric, ns) for metric, _tags, ns, _seq, _value in stored}) == expected
    assert {ns for _metric, _tags, ns, _seq, _value in stored} == soak.ingest_timestamps(base_seconds, counts["ingest"])
    # Nothing left behind: no task queued or taken and not acknowledged.
    queue = redis.Redis.from_url(broker.url)
    wait_until(lambda: queued(queue, "telemetry") + queue.hlen("unacked") == 0, timeout=30)
    queue.close()

    print(
        f"soak summary: {SECONDS:.0f} s, {sum(g['requests'] for g in figures.values())} requests, 0 errors, "
        f"{expected} readings stored once, p50/p99 first {first['p50']:.1f}/{first['p99']:.1f} ms "
        f"last {last['p50']:.1f}/{last['p99']:.1f} ms, rss web {sum(web_first.values()) / 2**20:.0f}"
        f"->{sum(web_end.values()) / 2**20:.0f} MB ({web_growth:+.1%}), worker {sum(worker_first.values()) / 2**20:.0f}"
        f"->{sum(worker_end.values()) / 2**20:.0f} MB ({worker_growth:+.1%})"
    )
    assert last["p99"] <= P99_GROWTH_LIMIT * first["p99"], (first, last)
    assert set(web_end) == set(web_first), "a web worker died or was replaced during the soak"
    assert set(worker_end) == set(worker_first), "a worker pool child died or was replaced during the soak"
    assert web_growth < RSS_GROWTH_LIMIT
    assert worker_growth < RSS_GROWTH_LIMIT
