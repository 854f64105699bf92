"""The ingest thread reads UDP itself: bursts past a batch, TCP during a UDP flood, and a prompt, complete stop."""

import time

import pytest

from telemetry.listener.udp import DRAIN_BUDGET
from telemetry.services.sensors import sensor_create
from tests.telemetry import held
from tests.telemetry.listener_support import lines_for, send_tcp, send_udp, thread_listener
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def sensor(django_user_model):
    owner = django_user_model.objects.create_user(email="udp@example.test", password="x" * 16)
    return sensor_create(owner=owner, name="mast")


def stored(mongo_db, sensor_id: int) -> int:
    return held.count(mongo_db, sensor_id)


def test_a_burst_many_batches_long_is_fully_accepted_and_stored(tmp_path, celery_worker_thread, mongo_db, sensor):
    sensor, token = sensor
    listener = thread_listener(tmp_path, batch_size=50, flush_ms=10_000)
    try:
        count = 4 * DRAIN_BUDGET + 7  # several drain rounds, ending on a partial batch
        # Unpaced: the kernel buffer holds the burst while the ingest thread works through it.
        send_udp(listener.udp_address, lines_for(token, count), pace_every=count + 1)
        wait_until(lambda: listener.counters.datagrams == count, timeout=30)
        assert listener.counters.forwarded == count
        assert listener.counters.rejected == 0
        # Full batches went out by count, without waiting for the (long) flush time.
        assert listener.counters.batches == count // 50
        wait_until(lambda: stored(mongo_db, sensor.pk) == count // 50 * 50, timeout=60)
    finally:
        listener.stop()
    # The partial batch went out at stop.
    assert listener.counters.batches == count // 50 + 1
    wait_until(lambda: stored(mongo_db, sensor.pk) == count, timeout=60)


def test_stop_flushes_a_partial_batch_promptly(tmp_path, celery_worker_thread, mongo_db, sensor):
    sensor, token = sensor
    listener = thread_listener(tmp_path, batch_size=1000, flush_ms=60_000)
    send_udp(listener.udp_address, lines_for(token, 7))
    send_tcp(listener.tcp_address, lines_for(token, 3, start=7))
    wait_until(lambda: listener.counters.forwarded == 10, timeout=20)
    assert listener.counters.batches == 0  # neither full nor due
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 5
    assert listener.writer.enqueued == 10
    wait_until(lambda: stored(mongo_db, sensor.pk) == 10, timeout=60)


def test_tcp_lines_are_read_during_a_udp_burst(tmp_path, celery_worker_thread, mongo_db, sensor):
    sensor, token = sensor
    listener = thread_listener(tmp_path, flush_ms=50)
    try:
        send_udp(listener.udp_address, lines_for(token, 2000, metric="udp"), pace_every=2001)
        send_tcp(listener.tcp_address, lines_for(token, 20, metric="tcp"))
        wait_until(lambda: stored(mongo_db, sensor.pk) == 2020, timeout=60)
        assert listener.counters.tcp_lines == 20
        assert listener.counters.datagrams == 2000
    finally:
        listener.stop()


def test_a_flush_is_due_by_time_when_traffic_stops(tmp_path, celery_worker_thread, mongo_db, sensor):
    sensor, token = sensor
    listener = thread_listener(tmp_path, batch_size=1000, flush_ms=100)
    try:
        send_udp(listener.udp_address, lines_for(token, 3))
        # Three readings, far from a full batch: the poll's timeout alone sends them.
        wait_until(lambda: stored(mongo_db, sensor.pk) == 3, timeout=20)
        assert listener.counters.batches == 1
    finally:
        listener.stop()
