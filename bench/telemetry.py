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

The pipeline's side ends when MongoDB holds every reading, found by `readings_stored_at` with point
lookups, not by counting: SecantusDB counts by walking every matching document (0.16-0.27 s for
4,000, 0.76 s for 10,000, measured), so polling a count keeps the server busy and slows the very
writes being timed, a cost the in-process baseline never pays.
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
from telemetry.readings import reading_document, reading_id
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
# One reading in this many (and the last) is looked up to tell when a run's readings are all stored.
SAMPLE_EVERY = 500


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
        time.sleep(POLL_SECONDS)


def sample_ids(ids: list[str]) -> list[str]:
    """Every SAMPLE_EVERY-th of a run's `_id`s, and the last one, in the order they are sent."""
    return list(dict.fromkeys([*ids[SAMPLE_EVERY - 1 :: SAMPLE_EVERY], ids[-1]]))


def readings_stored_at(collection, *, ids: list[str], sensor_id: int, count: int, timeout: float = 120) -> float:
    """The perf_counter() instant at which all `count` readings of `sensor_id` were seen stored.

    Each poll looks up one `_id`, the last of the sample not seen yet (under a millisecond of server
    time); once it is there, the rest of the sample in one query; once all are, one count confirms.
    If the count falls short, the wait goes on and the later instant counts.
    """
    deadline = time.monotonic() + timeout
    pending = list(ids)
    while True:
        if collection.find_one({"_id": pending[-1]}, {"_id": 1}) is not None:
            found = {document["_id"] for document in collection.find({"_id": {"$in": pending}}, {"_id": 1})}
            pending = [each for each in pending if each not in found]
            if not pending:
                seen = time.perf_counter()
                if collection.count_documents({"s": sensor_id}) >= count:
                    return seen
                pending = ids[-1:]
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench: {count} readings of sensor {sensor_id} not stored within {timeout} s")
        time.sleep(POLL_SECONDS)


def _through_celery(count: int, task_batch: int) -> float:
    sensor_id, readings = _readings(count)
    previous, settings.TELEMETRY_TASK_BATCH = settings.TELEMETRY_TASK_BATCH, task_batch
    try:
        ids = sample_ids([reading_id(r[0], r[1], r[2], r[4]) for r in readings])
        started = time.perf_counter()
        enqueue.readings_enqueue(readings)
        stored = readings_stored_at(mongo.database()["readings"], ids=ids, sensor_id=sensor_id, count=count)
        return count / (stored - started)
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
