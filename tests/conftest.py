"""Shared fixtures: real servers come from the environment (`make test` starts them), a real Celery
worker runs in a thread, and MongoDB data lives in a per-session database that is dropped at the end."""

import contextlib
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from accounts.services import throttle
from config.celery import app as celery_app
from telemetry import mongo
from telemetry.services import writer
from tests.accounts.account_support import clear_throttles
from tests.security.canary_scan import scan_session
from tests.waiting import wait_until

# Playwright's sync API runs an event loop in the test thread; Django would then refuse ORM calls
# from that thread even though nothing is actually asynchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["tests.browser"]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session", autouse=True)
def canary_scan(request, django_db_setup, django_db_blocker):
    """Canary secrets planted at the start; at the end of the session no log line, Celery message, Redis database
    or table may hold one (tests/security/canary_scan.py)."""
    yield from scan_session(request, django_db_blocker)


@pytest.fixture(scope="session", autouse=True)
def mongo_test_database():
    """Point MongoDB at a throw-away database for the whole session and drop it afterwards."""
    original = settings.MONGODB_URL
    name = f"test_{mongo.database_name()}_{uuid.uuid4().hex[:8]}"
    settings.MONGODB_URL = _with_database(original, name)
    mongo.disconnect()
    yield name
    try:
        mongo.database().client.drop_database(name)
    finally:
        mongo.disconnect()
        settings.MONGODB_URL = original


@pytest.fixture
def mongo_db(mongo_test_database):
    """The session's MongoDB database, emptied after the test.

    The writer's memory of series and sensors it wrote goes with it: the next test's data starts afresh.
    """
    db = mongo.database()
    writer.caches_clear()
    yield db
    for collection in db.list_collection_names():
        db.drop_collection(collection)
    writer.caches_clear()


@pytest.fixture(scope="session")
def celery_worker_thread(django_db_blocker):
    """A real Celery worker consuming both queues from the real broker, in a thread of this process."""
    with contextlib.ExitStack() as stack:
        # Celery's Django fix-up runs the system checks while the worker starts, and on SQLite
        # those open a connection: allow that for the start only, not for the whole session.
        with django_db_blocker.unblock():
            worker = stack.enter_context(
                start_worker(
                    celery_app,
                    pool="solo",
                    queues=["telemetry", "maintenance"],
                    perform_ping_check=False,
                    shutdown_timeout=30,
                    loglevel="WARNING",
                )
            )
        wait_until(lambda: celery_app.control.ping(destination=[worker.hostname], timeout=0.5), timeout=20)
        yield worker


@pytest.fixture(autouse=True)
def no_sign_in_lockouts():
    """Every test starts with no failure counters or lockouts: hostile tests (the URL walk) lock 127.0.0.1,
    and a test that follows them on the same process, in whatever order, must still be able to sign in."""
    clear_throttles()
    throttle._local.clear()  # the counts kept in this process while the cache was down


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        email="staff@example.test", password="correct horse battery staple", is_staff=True
    )


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
