"""One cheap probe per dependency; each returns nothing or raises, with a short reason."""

import logging

import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from telemetry import mongo

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2.0


def check_postgres() -> None:
    # Named for the production database; SQLite installs answer through the same probe.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    # Each probe runs in a pool thread: return its connection rather than leak one per request.
    connection.close()


def _ping_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def check_cache() -> None:
    _ping_redis(settings.REDIS_URL)


def check_broker() -> None:
    _ping_redis(settings.CELERY_BROKER_URL)


def check_mongodb() -> None:
    mongo.ping(PROBE_TIMEOUT_SECONDS)


def check_worker() -> None:
    # limit=1: return as soon as one worker answers instead of waiting out the timeout.
    replies = celery_app.control.ping(timeout=PROBE_TIMEOUT_SECONDS - 0.5, limit=1)
    if not replies:
        raise RuntimeError("no worker answered")


CHECKS = {
    "postgres": check_postgres,
    "cache": check_cache,
    "broker": check_broker,
    "mongodb": check_mongodb,
    "worker": check_worker,
}


def run_check(check) -> str:
    """Return "ok", or a one-line reason that names the failure without leaking internals."""
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure of a probe means "not ready"
        logger.warning("readiness check %s failed: %s", check.__name__, type(exc).__name__)
        return _short_reason(exc)
    return "ok"


def _short_reason(exc: Exception) -> str:
    name = type(exc).__name__
    if isinstance(exc, (ConnectionError, redis.ConnectionError, OSError)):
        return f"unreachable ({name})"
    if isinstance(exc, redis.TimeoutError):
        return f"timeout ({name})"
    if isinstance(exc, mongo.MongoUnavailable):
        return "unreachable"
    if isinstance(exc, RuntimeError):
        return str(exc)
    return f"error ({name})"
