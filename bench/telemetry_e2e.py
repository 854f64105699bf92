"""telemetry_e2e: line protocol over HTTP -> broker -> worker -> MongoDB, against raw insert_many of the same documents.

Keyhold's side is the whole pipeline as a sensor sees it: a real gunicorn serving `/api/v2/write`
(token check, parse, validate, enqueue in TELEMETRY_TASK_BATCH tasks) and a real Celery worker on
the `telemetry` queue storing each task with one unordered bulk insert. A round posts READINGS
lines in BATCH-line requests and ends when MongoDB holds every reading; its figure is readings
per second. The baseline is the least that storing them can cost: one pymongo
`insert_many(ordered=False)` of the very same documents (same `_id`s) into the same collection and
server, prepared beforehand. The collection is emptied between rounds, untimed. Bar: >= 0.5.
The worker runs 2 processes (BENCH_WORKER_CONCURRENCY overrides). On SecantusDB the insert itself
is about nine tenths of the pipeline's time: parsing, validating and enqueueing 10,000 lines take
about 0.9 s against about 5 s for storing them (measured on 2 shared cores). The end of a round is
found by `_id` lookups, not by polling a count, which on SecantusDB walks every document (0.76 s for
10,000) and would slow the writes being timed (see bench.telemetry.readings_stored_at).
"""

import contextlib
import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model

from bench.harness import compare
from bench.telemetry import readings_stored_at, sample_ids
from config.celery import app as celery_app
from devstack.ports import free_port
from telemetry import mongo
from telemetry.documents import Reading
from telemetry.lineprotocol import parse_lines
from telemetry.readings import reading_document, readings_from_point
from telemetry.services.sensors import sensor_create

ROOT = Path(__file__).resolve().parent.parent
READINGS = 10_000
BATCH = 5_000


def _lines(count: int) -> list[bytes]:
    now = time.time_ns()
    return [f"environment,room=lab{i % 8} value={20 + i % 50 / 10} {now - i * 1000}".encode() for i in range(count)]


@contextlib.contextmanager
def _process(args: list[str], env: dict):
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"telemetry_e2e: {what} did not come up within {timeout} s")
        time.sleep(0.2)


def _web_answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False


@contextlib.contextmanager
def _pipeline():
    """gunicorn and a Celery worker as `make run` starts them; yields the web port."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}
    web = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
    worker = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "telemetry", "--loglevel", "WARNING"]
    worker += ["--concurrency", os.environ.get("BENCH_WORKER_CONCURRENCY", "2")]
    with _process(web, env), _process(worker, env):
        _wait(lambda: _web_answers(port), "gunicorn")
        _wait(lambda: celery_app.control.ping(timeout=0.5), "the Celery worker")
        yield port


def telemetry_e2e():
    user = get_user_model().objects.create_user(email="bench-telemetry@example.test", password="x" * 20)
    try:
        sensor, token = sensor_create(owner=user, name="bench")
        lines = _lines(READINGS)
        bodies = [b"\n".join(lines[start : start + BATCH]) for start in range(0, READINGS, BATCH)]
        points, errors = parse_lines(b"\n".join(lines))
        if errors:
            raise RuntimeError(f"telemetry_e2e: the bench lines do not parse: {errors[0]}")
        documents = [reading_document(r) for point in points for r in readings_from_point(sensor.pk, point)]
        mongo.connect()
        collection = Reading._get_collection()
        ids = sample_ids([document["_id"] for document in documents])

        def empty() -> None:
            collection.delete_many({"s": sensor.pk})

        with _pipeline() as port:
            headers = {"Authorization": f"Token {token}", "Content-Type": "text/plain"}

            def keyhold() -> float:
                empty()
                # A fresh connection each round: gunicorn closes idle keep-alive connections after 5 s.
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                started = time.perf_counter()
                for body in bodies:
                    connection.request("POST", "/api/v2/write?org=bench&bucket=bench&precision=ns", body, headers)
                    response = connection.getresponse()
                    response.read()
                    if response.status != 204:
                        raise RuntimeError(f"telemetry_e2e: the write answered {response.status}")
                connection.close()
                stored = readings_stored_at(collection, ids=ids, sensor_id=sensor.pk, count=READINGS)
                return READINGS / (stored - started)

            def baseline() -> float:
                empty()
                started = time.perf_counter()
                collection.insert_many(documents, ordered=False)
                return READINGS / (time.perf_counter() - started)

            return compare("telemetry_e2e", keyhold=keyhold, baseline=baseline, bar=0.5, unit="readings/s", rounds=5)
    finally:
        mongo.connect()
        Reading._get_collection().delete_many({"s": {"$in": list(user.sensors.values_list("pk", flat=True))}})
        user.delete()


BENCHMARKS = {"telemetry_e2e": telemetry_e2e}
