"""Telemetry pipeline benchmarks: the worker's write, the Celery hop, and batching.

- telemetry_writer: the worker's write of a task's entries, `columns_store` (entries as
  `readings_enqueue` queues them -> checked -> series -> bucket documents -> unordered insert_many ->
  series documents -> last_seen) against a raw pymongo `insert_many` of the very same bucket
  documents, already built, into a collection with the same indexes on the same server. That is the
  least storing these readings can cost, so the ratio is exactly what Keyhold's write path adds.
- telemetry_celery_hop: the same batches sent through the broker to one worker process (solo pool,
  one writer) and timed until the last reading is in MongoDB, against one process calling
  `readings_entries` and `columns_store` on them directly. Same writer count and same write; the
  ratio is the price of the queue (serialisation, Redis, acknowledgements), which the robustness
  guarantees are paid with.
- telemetry_batching: readings per second through the pipeline with the configured task batch,
  against one reading per task. Same worker, same broker, same readings; the bar (20x) is why the
  ingest paths batch, and would catch a change that quietly makes tasks per reading again.

The pipeline's side ends when MongoDB holds every reading: `readings_stored_at` waits until the broker
holds no telemetry task (queued or unacknowledged), then adds up the counts of the sensor's buckets.
"""

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import redis
from django.conf import settings

from bench.harness import compare
from telemetry import mongo
from telemetry.buckets import SeriesBatch, batch_id_new
from telemetry.documents import Bucket
from telemetry.services import enqueue
from telemetry.services.columns import columns_store, readings_entries

ROOT = Path(__file__).resolve().parent.parent
# Sensor ids no PostgreSQL row has: last_seen updates touch nothing, and cleanup finds them.
SENSOR_BASE = 2_000_000_000
# A batch the size of a line-protocol request's (TELEMETRY_BATCH_MAX): per-call costs show, a run
# takes seconds.
BATCH = 5000
_sensors = itertools.count(SENSOR_BASE)
POLL_SECONDS = 0.005
COUNT_SECONDS = 0.05
TELEMETRY_QUEUE = "telemetry"


def _readings(count: int) -> tuple[int, list[list]]:
    """One sensor's `count` readings over 10 series (a device's few metrics, a site tag each), one a ms."""
    sensor_id = next(_sensors)
    now = time.time_ns() - 3600 * 10**9
    return sensor_id, [
        [sensor_id, f"bench.load{i % 10}", now + i * 10**6, float(i), 0, {"site": "bench"}] for i in range(count)
    ]


def bucket_documents(readings: list[list]) -> list[dict]:
    """The bucket documents the worker writes for these readings as one batch."""
    batch = SeriesBatch()
    batch.add_readings(readings)
    return batch.documents(batch_id_new())[0]


def _cleanup(*collections: str) -> None:
    database = mongo.database()
    database["buckets"].delete_many({"s": {"$gte": SENSOR_BASE}})
    for name in collections:
        database.drop_collection(name)


def telemetry_writer():
    database = mongo.database()
    raw = database["bench_buckets_raw"]
    # The baseline gets the same indexes as the buckets collection, TTL included.
    columns_store(readings_entries(_readings(1)[1]), batch_id=batch_id_new())
    for name, index in database["buckets"].index_information().items():
        if name != "_id_":
            options = {key: value for key, value in index.items() if key in {"expireAfterSeconds"}}
            raw.create_index(index["key"], name=name, **options)
    batches = 8

    def keyhold() -> float:
        # A task's argument: the entries readings_enqueue publishes, decoded from the message.
        # One device's readings in consecutive batches, as a device sends them: its first batch
        # introduces its series (documents the writer then remembers), the others only add readings.
        readings = _readings(batches * BATCH)[1]
        data = [readings_entries(readings[start : start + BATCH]) for start in range(0, len(readings), BATCH)]
        started = time.perf_counter()
        for entries in data:
            columns_store(entries, batch_id=batch_id_new())
        return batches * BATCH / (time.perf_counter() - started)

    def baseline() -> float:
        readings = _readings(batches * BATCH)[1]
        data = [bucket_documents(readings[start : start + BATCH]) for start in range(0, len(readings), BATCH)]
        started = time.perf_counter()
        for documents in data:
            raw.insert_many(documents, ordered=False)
        return batches * BATCH / (time.perf_counter() - started)

    try:
        return compare("telemetry_writer", keyhold=keyhold, baseline=baseline, bar=0.85, unit="readings/s", rounds=5)
    finally:
        _cleanup("bench_buckets_raw")


class _Worker:
    """One Celery worker process (solo pool: one writer, like the in-process baseline)."""

    def __enter__(self):
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "telemetry", "--pool", "solo"]
        command += ["--loglevel", "WARNING", "--without-mingle", "--without-gossip", "-n", f"bench{os.getpid()}@%h"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
        # Ready once a first batch has gone through it.
        sensor_id, readings = _readings(10)
        enqueue.readings_enqueue(readings)
        _wait_stored(sensor_id, 10, timeout=60)
        return self

    def __exit__(self, *exc) -> None:
        process = psutil.Process(self.process.pid)
        process.terminate()
        self.process.wait(timeout=30)


def stored_count(sensor_id: int) -> int:
    """How many readings the sensor's buckets hold."""
    return sum(bucket["n"] for bucket in Bucket._get_collection().find({"s": sensor_id}, {"n": 1}))


def _wait_stored(sensor_id: int, count: int, timeout: float = 120) -> None:
    readings_stored_at(sensor_id=sensor_id, count=count, timeout=timeout)


def _broker_idle(broker: redis.Redis) -> bool:
    """No telemetry task waiting or taken and unacknowledged (tasks are acknowledged once stored)."""
    with broker.pipeline(transaction=False) as pipe:
        return pipe.llen(TELEMETRY_QUEUE).hlen("unacked").execute() == [0, 0]


def readings_stored_at(*, sensor_id: int, count: int, timeout: float = 120) -> float:
    """The perf_counter() instant at which all `count` readings of `sensor_id` were seen stored.

    Asks the broker (two O(1) Redis commands) every POLL_SECONDS whether any telemetry task is still
    waiting or running, and counts in MongoDB only once none is, at most every COUNT_SECONDS: the
    embedded MongoDB wire server reads every matching document whole to count them (6 ms for 80
    buckets), which, polled every 10 ms, took a third of a core from the writes being timed.
    """
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    deadline, counted_at, stored = time.monotonic() + timeout, 0.0, 0
    try:
        while True:
            if _broker_idle(broker) and time.monotonic() - counted_at >= COUNT_SECONDS:
                idle_at = time.perf_counter()
                counted_at = time.monotonic()
                if (stored := stored_count(sensor_id)) >= count:
                    return idle_at
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"bench: {stored} of {count} readings of sensor {sensor_id} stored within {timeout} s"
                )
            time.sleep(POLL_SECONDS)
    finally:
        broker.close()


def _through_celery(count: int, task_batch: int) -> float:
    sensor_id, readings = _readings(count)
    previous, settings.TELEMETRY_TASK_BATCH = settings.TELEMETRY_TASK_BATCH, task_batch
    try:
        started = time.perf_counter()
        enqueue.readings_enqueue(readings)
        return count / (readings_stored_at(sensor_id=sensor_id, count=count) - started)
    finally:
        settings.TELEMETRY_TASK_BATCH = previous


def telemetry_celery_hop():
    count = 8 * BATCH

    def baseline() -> float:
        _sensor_id, readings = _readings(count)
        started = time.perf_counter()
        for start in range(0, count, BATCH):
            columns_store(readings_entries(readings[start : start + BATCH]), batch_id=batch_id_new())
        return count / (time.perf_counter() - started)

    try:
        with _Worker():
            return compare(
                "telemetry_celery_hop",
                keyhold=lambda: _through_celery(count, BATCH),
                baseline=baseline,
                bar=0.85,
                unit="readings/s",
                rounds=5,
            )
    finally:
        _cleanup()


def telemetry_batching():
    try:
        with _Worker():
            return compare(
                "telemetry_batching",
                keyhold=lambda: _through_celery(8 * BATCH, BATCH),
                baseline=lambda: _through_celery(200, 1),
                bar=20,
                unit="readings/s",
                rounds=3,
            )
    finally:
        _cleanup()


BENCHMARKS = {
    "telemetry_writer": telemetry_writer,
    "telemetry_celery_hop": telemetry_celery_hop,
    "telemetry_batching": telemetry_batching,
}
