"""The socket listener end to end: UDP and TCP lines reach MongoDB exactly once through the real worker."""

import json
import time

import pytest

from telemetry.listener.spool import Spool
from telemetry.services.devicekeys import sensor_hmac_rotate
from telemetry.services.sensors import sensor_create
from tests.telemetry import held
from tests.telemetry.listener_support import lines_for, send_tcp, send_udp, signed, thread_listener
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

COUNT = 10_000


@pytest.fixture
def sensor(django_user_model):
    owner = django_user_model.objects.create_user(email="listener@example.test", password="x" * 16)
    return sensor_create(owner=owner, name="roof")


@pytest.fixture
def listener(tmp_path, celery_worker_thread, mongo_db):
    listener = thread_listener(tmp_path)
    yield listener
    listener.stop()


def stored(mongo_db, sensor_id: int) -> int:
    return held.count(mongo_db, sensor_id)


def test_ten_thousand_udp_readings_land_exactly_once(listener, sensor, mongo_db):
    sensor, token = sensor
    send_udp(listener.udp_address, lines_for(token, COUNT))
    wait_until(lambda: listener.counters.datagrams >= COUNT, timeout=30)
    # Every datagram sent was received (paced sender, large SO_RCVBUF), so every reading must arrive.
    wait_until(lambda: stored(mongo_db, sensor.pk) >= COUNT, timeout=60)
    assert listener.counters.datagrams == COUNT
    assert listener.counters.forwarded == COUNT
    assert listener.counters.rejected == 0
    time.sleep(0.5)
    assert stored(mongo_db, sensor.pk) == COUNT


def test_ten_thousand_tcp_readings_land_exactly_once(listener, sensor, mongo_db):
    sensor, token = sensor
    lines = lines_for(token, COUNT)
    # Over two connections, the second ending without a final newline (its last line still counts).
    send_tcp(listener.tcp_address, lines[: COUNT // 2])
    send_tcp(listener.tcp_address, lines[COUNT // 2 :])
    wait_until(lambda: stored(mongo_db, sensor.pk) >= COUNT, timeout=60)
    assert listener.counters.tcp_lines == COUNT
    assert listener.counters.forwarded == COUNT
    time.sleep(0.5)
    assert stored(mongo_db, sensor.pk) == COUNT


def test_several_lines_in_one_datagram_are_each_read(listener, sensor, mongo_db):
    sensor, token = sensor
    send_udp(listener.udp_address, [b"\n".join(lines_for(token, 20))])
    wait_until(lambda: stored(mongo_db, sensor.pk) == 20, timeout=30)


def test_a_replayed_signed_datagram_is_stored_once(listener, sensor, mongo_db):
    sensor, _token = sensor
    key = sensor_hmac_rotate(sensor=sensor)
    datagram = signed(sensor.pk, key, f"door open=true {time.time_ns()}")
    send_udp(listener.udp_address, [datagram] * 5)
    wait_until(lambda: listener.counters.forwarded == 5, timeout=30)
    wait_until(lambda: stored(mongo_db, sensor.pk) == 1, timeout=30)
    time.sleep(0.5)
    assert stored(mongo_db, sensor.pk) == 1
    assert {reading[0] for reading in held.physical(mongo_db, sensor.pk)} == {"door.open"}


def test_readings_spooled_by_an_older_listener_are_replayed_after_an_upgrade(
    tmp_path, sensor, celery_worker_thread, mongo_db
):
    sensor, _token = sensor
    now = time.time_ns()
    # What a listener that parsed lines itself left on disk while the broker was down: wire-form readings.
    legacy = [[sensor.pk, "old.format", now - i, float(i), 0, None] for i in range(3)]
    spool = Spool(tmp_path / "spool", max_bytes=1 << 20)
    (spool.directory / "00000000000000000001-1-000001.jsonl").write_text(
        "".join(json.dumps(reading) + "\n" for reading in legacy)
    )
    listener = thread_listener(tmp_path)
    try:
        wait_until(lambda: stored(mongo_db, sensor.pk) == 3, timeout=30)
        assert listener.writer.replayed == 3
        assert len(listener.spool) == 0
    finally:
        listener.stop()
