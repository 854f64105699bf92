"""The worker's write path against the real MongoDB wire server and a real Celery worker."""

import time
from datetime import timedelta

import pytest

from telemetry.documents import Reading
from telemetry.models import Sensor
from telemetry.services.enqueue import readings_enqueue
from telemetry.services.sensors import sensor_create, sensor_for_token
from telemetry.services.writer import LAST_SEEN_RESOLUTION, readings_store, sensors_seen
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def sensor(django_user_model):
    owner = django_user_model.objects.create_user(email="owner@example.test", password="x" * 16)
    return sensor_create(owner=owner, name="greenhouse")


def batch(sensor_id: int, count: int, start: int = 0) -> list[list]:
    now = time.time_ns()
    return [[sensor_id, "temperature", now - i * 1000, 20.0 + i, i, None] for i in range(start, start + count)]


def test_a_batch_stored_twice_is_stored_once(sensor, mongo_db):
    sensor, _token = sensor
    readings = batch(sensor.pk, 100)
    first = readings_store(readings)
    assert (first.inserted, first.duplicates) == (100, 0)
    # Half old, half new: only the new half is inserted, the rest counts as already stored.
    again = readings_store(readings[50:] + batch(sensor.pk, 50, start=100))
    assert (again.inserted, again.duplicates) == (50, 50)
    assert mongo_db["readings"].count_documents({"s": sensor.pk}) == 150
    sensor.refresh_from_db()
    assert sensor.last_seen is not None


def test_last_seen_is_set_when_unset_and_moved_only_once_a_minute(sensor):
    sensor, _token = sensor
    other, _ = sensor_create(owner=sensor.owner, name="shed")
    sensors_seen({sensor.pk})
    sensor.refresh_from_db()
    first = sensor.last_seen
    assert first is not None
    # Recent: left alone. Older than the resolution: moved. A sensor not in the batch: untouched.
    sensors_seen({sensor.pk})
    sensor.refresh_from_db()
    assert sensor.last_seen == first
    old = first - LAST_SEEN_RESOLUTION - timedelta(seconds=1)
    Sensor.objects.filter(pk=sensor.pk).update(last_seen=old)
    sensors_seen({sensor.pk})
    sensor.refresh_from_db()
    assert sensor.last_seen > old + LAST_SEEN_RESOLUTION
    other.refresh_from_db()
    assert other.last_seen is None


def test_the_ingest_token_finds_its_sensor_only_while_enabled(sensor):
    sensor, token = sensor
    assert token.startswith(f"{sensor.token_prefix}_")
    assert sensor_for_token(token) == sensor
    assert sensor_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert sensor_for_token("khs_nothex00_" + "a" * 43) is None
    assert sensor_for_token(None) is None
    Sensor.objects.filter(pk=sensor.pk).update(enabled=False)
    assert sensor_for_token(token) is None


@pytest.mark.django_db(transaction=True)
def test_enqueued_batches_reach_mongodb_through_the_worker(sensor, celery_worker_thread, mongo_db, settings):
    sensor, _token = sensor
    settings.TELEMETRY_TASK_BATCH = 300
    assert readings_enqueue(batch(sensor.pk, 1000)) == 4
    wait_until(lambda: Reading.objects(sensor=sensor.pk).count() == 1000, timeout=30)
