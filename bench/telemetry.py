"""Telemetry pipeline benchmarks: the worker's write, the Celery hop, and batching.

- telemetry_writer: `readings_store` (wire form -> documents -> unordered insert_many -> last_seen)
  against a raw pymongo `insert_many` of the very same documents, already built, into a collection
  with the same indexes on the same server. That is the least storing these readings can cost, so
  the ratio is exactly what Keyhold's write path adds on top of MongoDB.
- telemetry_celery_hop: the same batches sent through the broker to one worker process (solo pool,
  one writer) and timed until the last reading is in MongoDB, against one process calling
  `readings_store` on them directly. Same writer count and same write; the ratio is the price of the
  queue (serialisation, Redis, acknowledgements), which the robustness guarantees are paid with.
- telemetry_batching: readings per second through the pipeline with the configured task batch,
  against one reading per task. Same worker, same broker, same readings; the bar (20x) is why the
  ingest paths batch, and would catch a change that quietly makes tasks per reading again.
"""

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from django.conf import settings

from bench.harness import compare
from telemetry import mongo
from telemetry.readings import reading_document
from telemetry.services import enqueue
from telemetry.services.writer import readings_store

ROOT = Path(__file__).resolve().parent.parent
# Sensor ids no PostgreSQL row has: last_seen updates touch nothing, and cleanup finds them.
SENSOR_BASE = 2_000_000_000
# Sized for the embedded SecantusDB (a Python wire server, a few thousand inserts a second): large
# enough that per-call costs show, small enough that a run takes minutes, not hours.
BATCH = 500
_sensors = itertools.count(SENSOR_BASE)
POLL_SECONDS = 0.05


def _readings(count: int) -> tuple[int, list[list]]:
    sensor_id = next(_sensors)
    now = time.time_ns()
    return sensor_id, [[sensor_id, "bench.load", now + i, float(i), i, {"site": "bench"}] for i in range(count)]


def _cleanup(*collections: str) -> None:
    database = mongo.database()
    database["readings"].delete_many({"s": {"$gte": SENSOR_BASE}})
    for name in collections:
        database.drop_collection(name)


def telemetry_writer():
    database = mongo.database()
    raw = database["bench_readings_raw"]
    # The baseline gets the same indexes as the readings collection, TTL included.
    readings_store(_readings(1)[1])
    for name, index in database["readings"].index_information().items():
        if name != "_id_":
            options = {key: value for key, value in index.items() if key in {"expireAfterSeconds"}}
            raw.create_index(index["key"], name=name, **options)
    batches = 4

    def keyhold() -> float:
        data = [_readings(BATCH)[1] for _ in range(batches)]
        started = time.perf_counter()
        for batch in data:
            readings_store(batch)
        return batches * BATCH / (time.perf_counter() - started)

    def baseline() -> float:
        data = [[reading_document(reading) for reading in _readings(BATCH)[1]] for _ in range(batches)]
        started = time.perf_counter()
        for documents in data:
            raw.insert_many(documents, ordered=False)
        return batches * BATCH / (time.perf_counter() - started)

    try:
        return compare("telemetry_writer", keyhold=keyhold, baseline=baseline, bar=0.85, unit="readings/s", rounds=5)
    finally:
        _cleanup("bench_readings_raw")


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


def _wait_stored(sensor_id: int, count: int, timeout: float = 120) -> None:
    readings = mongo.database()["readings"]
    deadline = time.monotonic() + timeout
    while readings.count_documents({"s": sensor_id}) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench: {count} readings of sensor {sensor_id} not stored within {timeout} s")
        # Counting costs the server too: poll gently so the measurement does not slow the writer it times.
        time.sleep(POLL_SECONDS)


def _through_celery(count: int, task_batch: int) -> float:
    sensor_id, readings = _readings(count)
    previous, settings.TELEMETRY_TASK_BATCH = settings.TELEMETRY_TASK_BATCH, task_batch
    try:
        started = time.perf_counter()
        enqueue.readings_enqueue(readings)
        _wait_stored(sensor_id, count)
        return count / (time.perf_counter() - started)
    finally:
        settings.TELEMETRY_TASK_BATCH = previous


def telemetry_celery_hop():
    count = 8 * BATCH

    def baseline() -> float:
        _sensor_id, readings = _readings(count)
        started = time.perf_counter()
        for start in range(0, count, BATCH):
            readings_store(readings[start : start + BATCH])
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
