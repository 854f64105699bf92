"""Listener authentication: ingest tokens, HMAC signatures, key rotation with grace, disabled sensors."""

import logging
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from telemetry.listener import auth
from telemetry.models import Sensor
from telemetry.services.devicekeys import sensor_hmac_rotate
from telemetry.services.rejects import UNKNOWN_SENSOR, rejects_since
from telemetry.services.sensors import sensor_create
from tests.telemetry import held
from tests.telemetry.listener_support import lines_for, send_udp, signed, thread_listener
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def sensor(django_user_model):
    owner = django_user_model.objects.create_user(email="auth@example.test", password="x" * 16)
    return sensor_create(owner=owner, name="cellar")


@pytest.fixture
def listener(tmp_path, celery_worker_thread, mongo_db, monkeypatch):
    # A short cache, so changes made by the test take effect quickly (production: seconds too).
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.3)
    listener = thread_listener(tmp_path, flush_ms=50)
    yield listener
    listener.stop()


def line(metric: str = "t", value: int = 1) -> str:
    return f"{metric} value={value}i {time.time_ns()}"


def settle(listener, lines: int) -> None:
    wait_until(lambda: listener.counters.lines >= lines, timeout=20)
    # The batch is flushed within flush_ms; give the worker a moment to store it.
    time.sleep(0.6)


def stored(mongo_db, sensor_id: int) -> int:
    return held.count(mongo_db, sensor_id)


def test_bad_and_missing_tokens_are_rejected_and_counted_without_the_token(listener, sensor, mongo_db, caplog):
    sensor, token = sensor
    caplog.set_level(logging.WARNING, logger="telemetry.listener")
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    send_udp(listener.udp_address, [f"{wrong} {line()}".encode(), line().encode(), f"{token} {line()}".encode()])
    settle(listener, 3)
    assert stored(mongo_db, sensor.pk) == 1
    assert listener.counters.rejected == 2
    counted = rejects_since(timezone.now() - timedelta(hours=1))
    assert counted[UNKNOWN_SENSOR]["count"] == 2
    assert wrong not in caplog.text
    assert token not in caplog.text
    assert "rejected 2 line(s) from sensor 0" in caplog.text


def test_signed_lines_need_a_matching_signature_and_a_timestamp(listener, sensor, mongo_db, caplog):
    sensor, _token = sensor
    caplog.set_level(logging.DEBUG, logger="telemetry")
    key = sensor_hmac_rotate(sensor=sensor)
    good = signed(sensor.pk, key, line("a"))
    tampered = good.replace(b"value=1i", b"value=9i")
    other_sensor = signed(sensor.pk + 1000, key, line("b"))
    untimed = signed(sensor.pk, key, "c value=1i")
    send_udp(listener.udp_address, [good, tampered, other_sensor, untimed, b"hmac:1:short t value=1i"])
    settle(listener, 5)
    assert {reading[0] for reading in held.physical(mongo_db, sensor.pk)} == {"a"}
    # Signatures are checked by the listener; the missing timestamp by the worker that parses the line.
    assert listener.counters.rejected == 3
    wait_until(lambda: sensor.pk in rejects_since(timezone.now() - timedelta(hours=1)), timeout=20)
    reasons = rejects_since(timezone.now() - timedelta(hours=1))
    # Only a line that proved its sensor counts against it (untimed); a bad signature proves nothing, so it
    # is counted under the unknown sensor and nobody can inflate another sensor's reject counters.
    assert reasons[sensor.pk] == {"count": 1, "last": "hmac-signed lines must carry a timestamp"}
    assert reasons[UNKNOWN_SENSOR]["count"] == 3
    # Neither the signatures nor anything of the key reach the log.
    for datagram in (good, tampered, other_sensor, untimed):
        assert datagram.split(b" ")[0].split(b":")[2].decode() not in caplog.text
    assert "hmac signature does not match" in caplog.text


def test_a_rotated_key_works_during_the_grace_period_only(listener, sensor, mongo_db, settings):
    sensor, _token = sensor
    settings.TELEMETRY_HMAC_GRACE_SECONDS = 2
    old = sensor_hmac_rotate(sensor=sensor)
    send_udp(listener.udp_address, [signed(sensor.pk, old, line("before"))])
    settle(listener, 1)
    reveals = AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_REVEAL).count()
    new = sensor_hmac_rotate(sensor=sensor)
    time.sleep(0.4)  # past the listener's cache
    send_udp(listener.udp_address, [signed(sensor.pk, old, line("old")), signed(sensor.pk, new, line("new"))])
    settle(listener, 3)
    assert stored(mongo_db, sensor.pk) == 3
    # The grace period ends: the listener stops accepting the old key without reloading anything.
    time.sleep(2)
    send_udp(listener.udp_address, [signed(sensor.pk, old, line("late")), signed(sensor.pk, new, line("now"))])
    settle(listener, 5)
    metrics = {reading[0] for reading in held.physical(mongo_db, sensor.pk)}
    assert metrics == {"before", "old", "new", "now"}
    # One audited key load for the rotation, none per line or per cache refresh.
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_REVEAL).count() == reveals + 1


def test_a_disabled_sensor_is_refused_within_seconds(listener, sensor, mongo_db):
    sensor, token = sensor
    key = sensor_hmac_rotate(sensor=sensor)
    send_udp(listener.udp_address, [*lines_for(token, 3), signed(sensor.pk, key, line("s"))])
    settle(listener, 4)
    assert stored(mongo_db, sensor.pk) == 4
    Sensor.objects.filter(pk=sensor.pk).update(enabled=False)
    time.sleep(0.4)
    send_udp(listener.udp_address, [*lines_for(token, 3, start=10), signed(sensor.pk, key, line("s2"))])
    settle(listener, 8)
    assert stored(mongo_db, sensor.pk) == 4
    assert listener.counters.rejected == 4
