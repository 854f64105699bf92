"""The whole-suite canary scan looks where it says: a canary put in a log line, a Celery message, the cache, the
broker or a table is found and reported with the place. (The session's own verdict comes at its very end, in the
`canary_scan` fixture of tests/conftest.py; these tests remove the findings they cause on purpose.)"""

import logging
import secrets

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from config.celery import app as celery_app
from tests.security.canary_scan import CanaryScan, stores_search
from vault.models import Secret

pytestmark = pytest.mark.security

QUEUE = "canary-scan-test"  # nobody consumes it; emptied by the test that fills it


@pytest.fixture
def unconsumed_queue():
    yield QUEUE
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE, f"_kombu.binding.{QUEUE}")


def test_the_session_scan_is_armed_and_sees_a_canary_in_a_log_line_and_a_celery_message(canary_scan, unconsumed_queue):
    assert set(canary_scan.canaries) == {"password", "session id", "secret value", "secret notes", "api token"}
    before = len(canary_scan.found)
    try:
        logging.getLogger("keyhold.leaky").warning("token was %s", canary_scan.canaries["api token"])
        celery_app.send_task("keyhold.nothing", args=[canary_scan.canaries["secret value"]], queue=unconsumed_queue)
        new = canary_scan.found[before:]
        assert any(found.startswith("api token in log record of keyhold.leaky") for found in new), new
        assert any(found.startswith("secret value in Celery message keyhold.nothing") for found in new), new
    finally:
        del canary_scan.found[before:]


@pytest.mark.django_db
def test_the_end_of_session_scan_finds_a_canary_in_both_redis_databases_and_a_table(
    django_user_model, unconsumed_queue
):
    planted = f"canary-planted-{secrets.token_hex(8)}"
    scan = CanaryScan()
    scan.arm({"planted": planted})
    owner = django_user_model.objects.create_user(email="planter@example.test", password="x" * 20)
    Secret.objects.create(owner=owner, path="planted", custom_metadata={"oops": planted})
    cache.set("canary-scan-test", {"value": planted}, 30)
    try:
        celery_app.send_task("keyhold.nothing", kwargs={"value": planted}, queue=unconsumed_queue)
        assert stores_search(scan) == []
    finally:
        cache.delete("canary-scan-test")
    found = scan.found
    assert any(place.startswith("planted in Redis cache") and "canary-scan-test" in place for place in found), found
    assert any(place.startswith(f"planted in Redis broker {settings.CELERY_BROKER_URL} b'{QUEUE}'") for place in found)
    assert any(place.startswith("planted in table vault_secret:") for place in found), found
