"""A worker killed with SIGKILL in the middle of a KEK rotation: once restarted, the rotation finishes, losing nothing.

`manage.py vault_keys rotate` runs here against a broker and cache of this test's own; a real prefork worker
process re-wraps the data keys in chained `rewrap_batch` tasks (acks_late) and is killed part-way.
"""

import os
import signal
import time

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from config.celery import app as celery_app
from tests.broker import publishing_to
from tests.processes import database_url
from tests.reliability.servers import RestartableRedis, compose_redis_options, queued
from tests.telemetry.test_worker_faults import Workers
from tests.vault import keys
from tests.vault.vault_support import fresh, make_user
from tests.waiting import wait_until
from vault.selectors import kek_census
from vault.services import secret_create, secret_reveal
from vault.services.keyops import rotation_progress, rotation_remaining

pytestmark = [pytest.mark.fault, pytest.mark.reliability, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRETS = 120
BATCH = 2
# Short for the test, so a redelivery comes within seconds; the product default is checked below.
VISIBILITY_SECONDS = 6


def test_the_broker_visibility_timeout_is_minutes_not_the_default_hour():
    timeout = celery_app.conf.broker_transport_options["visibility_timeout"]
    assert timeout == django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    # Redis' default is 3600 s: a killed worker's task would wait an hour. Above the hard time limit, so a
    # slow task is never handed to a second worker while the first still runs it.
    assert django_settings.CELERY_TASK_TIME_LIMIT < timeout <= 10 * 60


@pytest.fixture
def stack(tmp_path, settings):
    broker = RestartableRedis(tmp_path / "broker", compose_redis_options("broker"))
    cache = RestartableRedis(tmp_path / "cache", compose_redis_options("cache") | {"maxmemory": "64mb"})
    broker.start()
    cache.start()
    # The rotation's progress record lives in the cache: this test's own, not the session's.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": cache.url}}
    found = keys.entries("old", "new")
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker.url,
        "REDIS_URL": cache.url,
        "DATABASE_URL": database_url(),
        "MONGODB_URL": settings.MONGODB_URL,
        "VAULT_KEYS": keys.setting(found["new"], found["old"]),
        "CELERY_TASK_TIME_LIMIT": "5",
        "CELERY_TASK_SOFT_TIME_LIMIT": "4",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
    }
    yield env, found, broker
    broker.stop()
    cache.stop()


@pytest.fixture
def workers(stack, tmp_path):
    started = Workers(stack[0], tmp_path)
    yield started
    started.stop_all()


def test_worker_killed_mid_rotation_then_restarted_finishes_and_every_secret_reveals(
    stack, workers, settings, django_user_model
):
    env, found, broker = stack
    owner = make_user(django_user_model, "rotation-kill@example.test")
    settings.VAULT_KEYS = keys.setting(found["old"])
    expected = {f"app/{n}": {"password": f"original-{n}"} for n in range(SECRETS)}
    for path, fields in expected.items():
        secret_create(owner=owner, path=path, fields=fields)
    assert kek_census() == {"old": SECRETS}

    settings.VAULT_KEYS = env["VAULT_KEYS"]
    worker = workers.start()
    with publishing_to(broker.url):
        call_command("vault_keys", "rotate", "--batch-size", str(BATCH))
    queue = broker.client()

    def partway_with_a_task_in_flight() -> bool:
        done = kek_census().get("new", 0)
        return 0 < done < SECRETS // 2 and queue.hlen("unacked") > 0

    wait_until(partway_with_a_task_in_flight, timeout=30, interval=0.02)
    children = worker.children()
    os.kill(worker.pid, signal.SIGKILL)
    for child in children:
        # Pool children outlive a SIGKILLed parent for a moment; the new worker must not race them.
        child.kill()
    time.sleep(0.5)
    left_at_kill = rotation_remaining(to_kek="new")
    assert 0 < left_at_kill < SECRETS
    # The broker still holds the chain's batch: unacknowledged by the dead worker (redelivered after the
    # visibility timeout) or, if the kill fell between two batches, queued. Lost, the rotation would stall.
    assert queue.hlen("unacked") + queued(queue, "maintenance") > 0

    killed_at = time.monotonic()
    workers.start()
    wait_until(lambda: rotation_remaining(to_kek="new") == 0, timeout=60, interval=0.2)
    wait_until(lambda: (rotation_progress() or None) and rotation_progress().state == "finished", timeout=30)
    recovery = time.monotonic() - killed_at
    print(f"rotation resumed after a worker kill -9: {left_at_kill} keys left, done {recovery:.1f} s later")
    wait_until(lambda: queue.hlen("unacked") == 0, timeout=30)
    queue.close()

    # The old KEK is gone from the keyring: every data key must open under the new one alone.
    settings.VAULT_KEYS = keys.setting(found["new"])
    settings.VAULT_REVEAL_BUDGET = SECRETS + 1
    assert kek_census() == {"new": SECRETS}
    for path, fields in expected.items():
        assert secret_reveal(user=owner, path=path, authenticated_at=fresh()).fields == fields
