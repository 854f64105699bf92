"""Poison batches: malformed readings are dead-lettered with their reason and never block the queue."""

import time

import pytest
from pymongo.errors import AutoReconnect

from telemetry import tasks
from telemetry.documents import DeadLetter
from telemetry.services import deadletters
from telemetry.services.deadletters import batch_split
from tests.telemetry import held
from tests.waiting import wait_until

NOW = time.time_ns()
GOOD = [[5, "temp", NOW, 21.5, 0, None], [5, "temp", NOW + 1, 22, 1, {"room": "a"}]]
BAD = [
    "not a list",
    [5, "temp", NOW],
    [True, "temp", NOW, 1.0, 0, None],
    [5, "", NOW, 1.0, 0, None],
    [5, "temp", "yesterday", 1.0, 0, None],
    [5, "temp", 2**70, 1.0, 0, None],
    [5, "temp", NOW, float("nan"), 0, None],
    [5, "temp", NOW, {"$where": "1"}, 0, None],
    [5, "temp", NOW, 1.0, -1, None],
    [5, "temp", NOW, 1.0, 0, {"k": 1}],
    [5, "temp", NOW, 1.0, 0, ["tag"]],
    [5, "temp", NOW, 1.0, 0, {"$set": "x"}],
    [5, "temp", NOW, 1.0, 0, {"a\x00b": "x"}],
]


def test_batch_split_keeps_good_readings_and_names_each_bad_one():
    good, bad, reasons = batch_split(GOOD + BAD)
    assert good == GOOD
    assert bad == BAD
    assert len(reasons) == len(BAD)
    assert reasons[0] == "a reading must be a list of 6 items"
    assert "finite" in reasons[6]


def test_an_old_reading_is_still_well_formed_in_the_worker():
    # Age is checked at ingest; a batch that waited in the queue (or a backfill) is stored anyway.
    old = [5, "temp", 10**18, 1.0, 0, None]
    assert batch_split([old]) == ([old], [], [])


def test_a_batch_that_is_not_a_list_is_dead_lettered_whole():
    assert batch_split({"a": 1}) == ([], [{"a": 1}], ["a batch must be a list of readings"])


@pytest.mark.django_db(transaction=True)
def test_poison_batches_are_dead_lettered_and_the_queue_keeps_flowing(celery_worker_thread, mongo_db):
    # As plain JSON, as a publisher from before orjson would have queued it: orjson refuses BAD's integer
    # past 64 bits at the source (test_task_serializer), but the worker must survive such a batch anyway.
    tasks.store_batch.apply_async(args=[GOOD + BAD], serializer="json")
    tasks.store_batch.delay("garbage")
    tasks.store_batch.delay([[6, "humidity", NOW, 40.0, 0, None]])
    wait_until(lambda: held.count(mongo_db, 6) == 1, timeout=30)
    wait_until(lambda: DeadLetter.objects.count() == 2, timeout=30)
    assert held.count(mongo_db, 5) == 2
    mixed = DeadLetter.objects(reasons__size=len(BAD)).get()
    assert mixed.readings[1:3] == [[5, "temp", NOW], [True, "temp", NOW, 1.0, 0, None]]
    # An int BSON cannot hold is kept as text, the rest of the batch as it came.
    assert mixed.readings[5] == repr(BAD[5])
    assert mixed.readings[9] == BAD[9]
    assert mixed.reason.startswith(f"{len(BAD)} malformed reading(s)")
    assert mixed.task_id
    whole = DeadLetter.objects(reasons=["a batch must be a list of readings"]).get()
    assert whole.readings == ["garbage"]


@pytest.mark.django_db
def test_a_batch_still_failing_after_its_retries_is_dead_lettered(mongo_db, monkeypatch):
    calls = []

    def broken_store(readings, *, batch_id):
        # A fault the real servers cannot be made to produce on demand: every write fails.
        calls.append(len(readings))
        raise RuntimeError("disk says no")

    monkeypatch.setattr(deadletters, "readings_store", broken_store)
    # Eager: each retry runs at once instead of after its backoff.
    assert tasks.store_batch.apply(args=[GOOD]).get() == 0
    assert len(calls) == tasks.STORE_RETRIES + 1
    letter = DeadLetter.objects.get()
    assert letter.reason == f"still failing after {tasks.STORE_RETRIES} retries: RuntimeError"
    assert letter.readings == GOOD
    assert mongo_db["buckets"].count_documents({}) == 0


@pytest.mark.django_db
def test_mongodb_unreachable_is_retried_past_the_retry_limit_and_then_stored(mongo_db, monkeypatch):
    real_store, failures = deadletters.readings_store, []

    def store_after_a_long_outage(readings, *, batch_id):
        # An outage longer than STORE_RETRIES attempts; stopping the session's server would break other tests.
        if len(failures) < tasks.STORE_RETRIES + 5:
            failures.append(batch_id)
            raise AutoReconnect("connection refused")
        return real_store(readings, batch_id=batch_id)

    monkeypatch.setattr(deadletters, "readings_store", store_after_a_long_outage)
    assert tasks.store_batch.apply(args=[GOOD]).get() == len(GOOD)
    assert len(failures) == tasks.STORE_RETRIES + 5
    # Every retry stores under the same batch id: one set of buckets however many attempts it took.
    assert len(set(failures)) == 1
    assert held.count(mongo_db, 5) == len(GOOD)
    assert DeadLetter.objects.count() == 0
