"""The worker's write path against the real MongoDB wire server and a real Celery worker."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from telemetry import tasks
from telemetry.buckets import batch_id_new
from telemetry.models import Sensor
from telemetry.services import writer
from telemetry.services.enqueue import readings_enqueue
from telemetry.services.lines import forwarded_line
from telemetry.services.sensors import sensor_create, sensor_for_token
from telemetry.services.writer import LAST_SEEN_RESOLUTION, readings_store, sensors_seen
from tests.telemetry import held
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def sensor(django_user_model):
    owner = django_user_model.objects.create_user(email="owner@example.test", password="x" * 16)
    return sensor_create(owner=owner, name="greenhouse")


def batch(sensor_id: int, count: int, start: int = 0, hours: int = 0) -> list[list]:
    """`count` readings, spread over `hours` whole hours when given (a bucket never spans an hour)."""
    now = time.time_ns()
    step = hours * 3600 * 10**9 // count if hours else 1000
    base = (now // (3600 * 10**9) - hours) * 3600 * 10**9 if hours else now
    return [[sensor_id, "temperature", base + i * step, 20.0 + i, i, None] for i in range(start, start + count)]


def test_a_batch_stored_twice_is_stored_once(sensor, mongo_db):
    sensor, _token = sensor
    readings = batch(sensor.pk, 2500, hours=3)  # three hours: three buckets
    batch_id = batch_id_new()
    first = readings_store(readings, batch_id=batch_id)
    assert (first.inserted, first.duplicates, first.buckets) == (2500, 0, 3)
    # Delivered again (a redelivery after a killed worker): the same batch id, so the same bucket ids.
    again = readings_store(readings, batch_id=batch_id)
    assert (again.inserted, again.duplicates) == (0, 2500)
    assert len(held.physical(mongo_db, sensor.pk)) == 2500
    assert mongo_db["buckets"].count_documents({"s": sensor.pk}) == 3
    sensor.refresh_from_db()
    assert sensor.last_seen is not None


def test_a_batch_half_stored_before_a_crash_is_completed_not_doubled(sensor, mongo_db):
    sensor, _token = sensor
    readings = batch(sensor.pk, 2500, hours=3)
    batch_id = batch_id_new()
    readings_store(readings, batch_id=batch_id)
    # As if the worker died after inserting one bucket: the other two are missing.
    kept = mongo_db["buckets"].find_one({"s": sensor.pk}, sort=[("_id", 1)])
    mongo_db["buckets"].delete_many({"s": sensor.pk, "_id": {"$ne": kept["_id"]}})
    again = readings_store(readings, batch_id=batch_id)
    assert (again.inserted, again.duplicates) == (2500 - kept["n"], kept["n"])
    assert sorted(reading[2] for reading in held.physical(mongo_db, sensor.pk)) == sorted(r[2] for r in readings)
    assert held.count(mongo_db, sensor.pk) == 2500


def test_a_reading_sent_again_in_a_later_batch_shows_once_with_its_newer_value(sensor, mongo_db):
    sensor, _token = sensor
    readings = batch(sensor.pk, 10)
    readings_store(readings)
    resent = [[*readings[3][:3], -1.0, *readings[3][4:]]]
    readings_store(resent)
    # Stored twice (no read before a write), shown once: the later batch's value wins.
    assert len(held.physical(mongo_db, sensor.pk)) == 11
    visible = held.visible(mongo_db, sensor.pk)
    assert len(visible) == 10
    assert visible[("temperature", (), readings[3][2], readings[3][4])] == -1.0


def test_within_one_batch_the_later_of_two_equal_readings_wins(sensor, mongo_db):
    sensor, _token = sensor
    now = time.time_ns()
    first, earlier, again = (
        [sensor.pk, "t", now, 1.0, 0, None],
        [sensor.pk, "t", now - 5, 2.0, 0, None],
        [sensor.pk, "t", now, 3.0, 0, None],
    )
    readings_store([first, earlier, again])
    assert sorted(held.physical(mongo_db, sensor.pk)) == [("t", (), now - 5, 0, 2.0), ("t", (), now, 0, 3.0)]


def test_last_seen_is_set_when_unset_and_moved_only_once_a_minute(sensor, monkeypatch):
    sensor, _token = sensor
    other, _ = sensor_create(owner=sensor.owner, name="shed")
    clock = [1000.0]
    monkeypatch.setattr(writer.time, "monotonic", lambda: clock[0])
    sensors_seen({sensor.pk})
    sensor.refresh_from_db()
    first = sensor.last_seen
    assert first is not None
    # Recent: left alone (by this process without even asking PostgreSQL). A sensor not in the batch: untouched.
    with CaptureQueriesContext(connection) as queries:
        sensors_seen({sensor.pk})
    assert len(queries) == 0
    sensor.refresh_from_db()
    assert sensor.last_seen == first
    # A minute later, for this process; in PostgreSQL the row is older than the resolution: moved.
    clock[0] += LAST_SEEN_RESOLUTION.total_seconds()
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
    wait_until(lambda: held.count(mongo_db, sensor.pk) == 1000, timeout=30)
    assert len(held.visible(mongo_db, sensor.pk)) == 1000


@pytest.mark.parametrize("task", ["store_batch", "store_lines"])
def test_a_task_delivered_twice_stores_its_readings_once(sensor, mongo_db, task):
    sensor, _token = sensor
    readings = batch(sensor.pk, 300)
    lines = [forwarded_line(sensor.pk, time.time_ns(), False, f"temperature value={r[3]} {r[2]}") for r in readings]
    arguments = readings if task == "store_batch" else lines
    batch_id = batch_id_new()
    # A redelivery is the very message again: same arguments, same batch id (eager, in this process).
    first = getattr(tasks, task).apply(args=[arguments], kwargs={"batch": batch_id}).get()
    again = getattr(tasks, task).apply(args=[arguments], kwargs={"batch": batch_id}).get()
    assert (first, again) == (300, 0)
    assert len(held.physical(mongo_db, sensor.pk)) == 300
    # The same readings queued again as a new batch (a client retrying after a lost answer) are stored
    # again, and shown once.
    assert getattr(tasks, task).apply(args=[arguments], kwargs={"batch": batch_id_new()}).get() == 300
    assert len(held.physical(mongo_db, sensor.pk)) == 600
    assert len(held.visible(mongo_db, sensor.pk)) == 300


def test_a_task_from_before_batch_ids_uses_its_task_id_so_its_redelivery_stores_once(sensor, mongo_db):
    sensor, _token = sensor
    readings = batch(sensor.pk, 50)
    assert tasks.store_batch.apply(args=[readings], task_id="legacy-1").get() == 50
    assert tasks.store_batch.apply(args=[readings], task_id="legacy-1").get() == 0
    assert {bucket["b"] for bucket in mongo_db["buckets"].find({"s": sensor.pk})} == {"0legacy-1"}
