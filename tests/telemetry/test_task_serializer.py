"""Reading batches travel as orjson: every value a reading may hold survives, and plain-JSON batches still work."""

import time

import pytest
from kombu.exceptions import EncodeError
from kombu.serialization import dumps, loads

from config.celery import READINGS_CONTENT_TYPE, READINGS_SERIALIZER
from telemetry import tasks
from telemetry.readings import INT64_MAX
from tests.telemetry import held, ingest_support
from tests.waiting import wait_until

owner = pytest.fixture(ingest_support.owner)
sensor = pytest.fixture(ingest_support.sensor)

UINT64_MAX = 2**64 - 1


def test_every_value_a_reading_may_hold_round_trips_unchanged():
    now = time.time_ns()
    readings = [
        [1, "edge.int_min", now, -INT64_MAX - 1, 0, None],
        [1, "edge.int_max", now, INT64_MAX, INT64_MAX, {"room": "hall"}],
        [1, "edge.uint_max", now, UINT64_MAX, 0, None],
        [1, "edge.float", now, 1.7976931348623157e308, 0, None],
        [1, "edge.tiny", now, 5e-324, 0, None],
        [1, "edge.negative_zero", now, -0.0, 0, None],
        [1, "edge.bool", now, True, 0, None],
        [1, "edge.text", now, 'quote " backslash \\ tab \t snow ☃ emoji 🌡 nul-free', 0, {"ключ": "значение"}],
    ]
    content_type, encoding, body = dumps([readings], serializer=READINGS_SERIALIZER)
    assert content_type == READINGS_CONTENT_TYPE
    decoded = loads(body, content_type, encoding, accept=[READINGS_CONTENT_TYPE])[0]
    assert decoded == readings
    assert [type(value[3]) for value in decoded] == [type(value[3]) for value in readings]


def test_an_integer_past_64_bits_is_refused_at_publishing_never_mangled():
    # orjson would read such a number back as a float; refusing it keeps a reading from changing type.
    # Validated readings never hold one (int64, or uint64 for "u" integers).
    with pytest.raises(EncodeError):
        dumps([[[1, "edge.huge", time.time_ns(), 2**64, 0, None]]], serializer=READINGS_SERIALIZER)


def test_the_store_task_publishes_with_the_readings_serializer():
    assert tasks.store_batch.serializer == READINGS_SERIALIZER


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_batch_queued_as_plain_json_before_an_upgrade_is_still_stored(sensor, celery_worker_thread, mongo_db):
    sensor, _token = sensor
    now = time.time_ns()
    readings = [[sensor.pk, "upgrade.level", now - i, float(i), 0, None] for i in range(5)]
    tasks.store_batch.apply_async(args=[readings], serializer="json")
    wait_until(lambda: held.count(mongo_db, sensor.pk) == 5, timeout=30)
    assert sorted(reading[4] for reading in held.physical(mongo_db, sensor.pk)) == [0.0, 1.0, 2.0, 3.0, 4.0]
