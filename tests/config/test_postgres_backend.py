"""The database backend's health check: no round trip for a live idle connection, a reconnect after a dead one."""

import time

import psycopg2
import pytest
from django.conf import settings
from django.db import close_old_connections, connection

pytestmark = [
    # Outside a test transaction: a terminated session cannot roll one back.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "config.postgres", reason="the PostgreSQL backend's own check"
    ),
]
MARKER = "SELECT 'keyhold-health-check-marker'"


def _admin():
    """A second session, to watch and end the one under test from outside."""
    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"],
    )
    admin.autocommit = True
    return admin


def _last_query(admin, pid: int) -> str:
    with admin.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_live_idle_connection_is_usable_without_asking_the_server():
    pid = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute(MARKER)
    admin = _admin()
    try:
        assert connection.is_usable()
        # The server saw no `SELECT 1`: the session's last statement is still ours.
        assert _last_query(admin, pid) == MARKER
    finally:
        admin.close()


def test_a_terminated_session_is_unusable_and_the_next_request_reconnects():
    pid = _backend_pid()
    admin = _admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while connection.is_usable() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not connection.is_usable()
        # What Django does when a request starts (request_started -> close_old_connections): the check fails, the
        # connection is closed, and the request's first query opens a new one instead of failing.
        connection.health_check_done = False
        close_old_connections()
        assert _backend_pid() != pid
    finally:
        admin.close()


def test_a_closed_connection_is_unusable():
    connection.ensure_connection()
    connection.connection.close()
    assert not connection.is_usable()
    connection.close()
