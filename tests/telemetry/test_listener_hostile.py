"""Hostile input never stops the listener: it is refused, counted, and good lines still get through."""

import contextlib
import logging
import os
import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from telemetry.listener.server import Limits
from telemetry.services.lines import MAX_SEEN_ENTRIES
from telemetry.services.rejects import rejects_since
from telemetry.services.sensors import sensor_create
from tests.telemetry import held
from tests.telemetry.listener_support import lines_for, send_tcp, send_udp, thread_listener
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e, pytest.mark.security]


@pytest.fixture
def sensor(django_user_model):
    owner = django_user_model.objects.create_user(email="hostile@example.test", password="x" * 16)
    return sensor_create(owner=owner, name="gate")


@pytest.fixture
def listener(tmp_path, celery_worker_thread, mongo_db):
    listener = thread_listener(tmp_path, flush_ms=50, limits=Limits(max_connections=20, idle_seconds=2))
    yield listener
    listener.stop()


def stored(mongo_db, sensor_id: int) -> int:
    return held.count(mongo_db, sensor_id)


def still_works(listener, mongo_db, sensor, token, expected: int) -> None:
    send_udp(listener.udp_address, lines_for(token, 1, metric=f"alive{expected}"))
    wait_until(lambda: stored(mongo_db, sensor.pk) == expected, timeout=20)


def test_random_bytes_invalid_utf8_and_oversized_datagrams_are_counted(listener, sensor, mongo_db):
    sensor, token = sensor
    garbage = [os.urandom(size) for size in (1, 17, 300, 1400)]
    garbage += [f"{token} ".encode() + b"caf\xe9 value=1i", f"{token} \x00\x01 value=1".encode()]
    garbage += [b"x" * 60_000, f"{token} t value=1i {time.time_ns()}".encode() + b" " * 20_000]
    garbage += [b"hmac:" + b"9" * 40 + b":" + b"A" * 43 + b" t value=1i", b"khs_" + b"\xff" * 70 + b" t value=1"]
    send_udp(listener.udp_address, garbage, pace_every=1)

    def refused() -> dict:
        return rejects_since(timezone.now() - timedelta(hours=1))

    # Counted where each is refused: by the listener, or (the control characters, which pass its checks
    # since it does not parse) by the worker that parses what it forwards.
    wait_until(lambda: sum(entry["count"] for entry in refused().values()) >= len(garbage), timeout=20)
    assert listener.counters.forwarded == 1
    # Both lines that carried the sensor's token count against it: invalid UTF-8 (refused by the
    # listener) and control characters (by the worker).
    assert refused()[sensor.pk]["count"] == 2
    assert stored(mongo_db, sensor.pk) == 0
    still_works(listener, mongo_db, sensor, token, 1)


def test_a_megabyte_tcp_line_closes_that_connection_only(listener, sensor, mongo_db):
    sensor, token = sensor
    with socket.create_connection(listener.tcp_address, timeout=10) as sock:
        # The listener may close before we finish sending: that is the point.
        with contextlib.suppress(OSError):
            sock.sendall(b"A" * 4_000_000 + b"\n")
        sock.settimeout(5)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(1) == b""  # closed by the listener
    wait_until(lambda: listener.counters.rejected >= 1, timeout=10)
    send_tcp(listener.tcp_address, lines_for(token, 5))
    wait_until(lambda: stored(mongo_db, sensor.pk) == 5, timeout=20)


def test_many_connections_are_capped_and_idle_ones_closed(listener, sensor, mongo_db):
    sensor, token = sensor
    sockets = [socket.create_connection(listener.tcp_address, timeout=10) for _ in range(40)]
    try:
        wait_until(lambda: listener.refused_connections >= 20, timeout=10)
        assert listener.connections == 20
        # Idle connections are closed after idle_seconds, which frees room for new ones.
        wait_until(lambda: listener.connections == 0, timeout=10)
    finally:
        for sock in sockets:
            sock.close()
    send_tcp(listener.tcp_address, lines_for(token, 3))
    wait_until(lambda: stored(mongo_db, sensor.pk) == 3, timeout=20)
    still_works(listener, mongo_db, sensor, token, 4)


def test_a_flood_of_made_up_tokens_is_refused_without_a_query_each(listener, sensor, mongo_db, caplog):
    sensor, token = sensor
    caplog.set_level(logging.WARNING, logger="telemetry.listener")
    fakes = [f"khs_{i:08x}_{'A' * 43} t value=1i".encode() for i in range(1000)]
    send_udp(listener.udp_address, fakes)
    wait_until(lambda: listener.counters.rejected >= 1000, timeout=30)
    wait_until(lambda: "too many unknown credentials" in caplog.text, timeout=5)
    # A new second, a new lookup budget: the real sensor is served again.
    time.sleep(1.1)
    still_works(listener, mongo_db, sensor, token, 1)


def test_made_up_series_names_are_each_parsed_and_stored(listener, sensor, mongo_db):
    # Their cost to the parse cache is bounded in the worker (test_forwarded_lines); here, none is lost.
    sensor, token = sensor
    count = MAX_SEEN_ENTRIES + 300
    now = time.time_ns()
    distinct = [f"{token} made_up_{i},n={i} value={i}i {now - i}".encode() for i in range(count)]
    send_udp(listener.udp_address, distinct)
    wait_until(lambda: listener.counters.forwarded == count, timeout=30)
    wait_until(lambda: stored(mongo_db, sensor.pk) == count, timeout=60)
