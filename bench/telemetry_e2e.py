"""telemetry_e2e(_udp): line protocol over HTTP (UDP) -> broker -> worker -> MongoDB, against raw insert_many.

Keyhold's side is the whole pipeline as a sensor sees it: a real gunicorn serving `/api/v2/write`
(token check, parse, validate, enqueue in TELEMETRY_TASK_BATCH tasks) and a real Celery worker on
the `telemetry` queue storing each task with one unordered bulk insert. A round posts READINGS
lines in BATCH-line requests and ends when MongoDB holds every reading; its figure is readings
per second. telemetry_e2e_udp sends the same lines to a real `manage.py telemetry_listener` instead,
packed into datagrams of at most DATAGRAM_BYTES as Telegraf's UDP output packs them, each line with its
token: the listener authenticates and forwards them, and the worker parses, validates and stores them.
The baseline is the least that storing them can cost: one pymongo
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
import socket
import subprocess
import sys
import tempfile
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
READINGS = 5_000
BATCH = 2_500
# Telegraf's influxdb output sends at most 512 bytes per UDP datagram by default; this stays under a
# typical MTU too, so no datagram is fragmented.
DATAGRAM_BYTES = 1400


def _lines(count: int) -> list[bytes]:
    now = time.time_ns()
    return [f"environment,room=lab{i % 8} value={20 + i % 50 / 10} {now - i * 1000}".encode() for i in range(count)]


@contextlib.contextmanager
def _process(args: list[str], env: dict, stdout=subprocess.DEVNULL):
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.DEVNULL, text=True)
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
def _pipeline(spool: Path):
    """gunicorn, a Celery worker and the socket listener as `make run` starts them; yields (web port, UDP address)."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}
    web = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
    worker = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "telemetry", "--loglevel", "WARNING"]
    worker += ["--concurrency", os.environ.get("BENCH_WORKER_CONCURRENCY", "2")]
    listener = [sys.executable, "manage.py", "telemetry_listener", "--host", "127.0.0.1", "--udp-port", "0"]
    listener += ["--tcp-port", "0", "--spool-dir", str(spool)]
    with _process(web, env), _process(worker, env), _process(listener, env, stdout=subprocess.PIPE) as sockets:
        # "listening udp=HOST:PORT tcp=HOST:PORT", once the ports are bound.
        udp = sockets.stdout.readline().split()[1].split("=", 1)[1].rsplit(":", 1)
        _wait(lambda: _web_answers(port), "gunicorn")
        _wait(lambda: celery_app.control.ping(timeout=0.5), "the Celery worker")
        yield port, (udp[0], int(udp[1]))


def _datagrams(lines: list[bytes], token: str) -> list[bytes]:
    """The lines, each behind its token, packed into datagrams of at most DATAGRAM_BYTES."""
    datagrams, current = [], b""
    for line in lines:
        entry = token.encode() + b" " + line
        if current and len(current) + 1 + len(entry) > DATAGRAM_BYTES:
            datagrams.append(current)
            current = b""
        current = current + b"\n" + entry if current else entry
    return [*datagrams, current]


def _over_http(port: int, token: str, lines: list[bytes]) -> None:
    headers = {"Authorization": f"Token {token}", "Content-Type": "text/plain"}
    # A fresh connection each round: gunicorn closes idle keep-alive connections after 5 s.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for start in range(0, len(lines), BATCH):
        body = b"\n".join(lines[start : start + BATCH])
        connection.request("POST", "/api/v2/write?org=bench&bucket=bench&precision=ns", body, headers)
        response = connection.getresponse()
        response.read()
        if response.status != 204:
            raise RuntimeError(f"telemetry_e2e: the write answered {response.status}")
    connection.close()


def _over_udp(address: tuple, datagrams: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            sock.sendto(datagram, address)


def _e2e(name: str, transport: str):
    user = get_user_model().objects.create_user(email=f"bench-{name}@example.test", password="x" * 20)
    try:
        sensor, token = sensor_create(owner=user, name="bench")
        lines = _lines(READINGS)
        points, errors = parse_lines(b"\n".join(lines))
        if errors:
            raise RuntimeError(f"telemetry_e2e: the bench lines do not parse: {errors[0]}")
        documents = [reading_document(r) for point in points for r in readings_from_point(sensor.pk, point)]
        mongo.connect()
        collection = Reading._get_collection()
        ids = sample_ids([document["_id"] for document in documents])
        datagrams = _datagrams(lines, token)

        def empty() -> None:
            collection.delete_many({"s": sensor.pk})

        with tempfile.TemporaryDirectory() as spool, _pipeline(Path(spool)) as (port, udp):

            def keyhold() -> float:
                empty()
                started = time.perf_counter()
                if transport == "udp":
                    _over_udp(udp, datagrams)
                else:
                    _over_http(port, token, lines)
                stored = readings_stored_at(collection, ids=ids, sensor_id=sensor.pk, count=READINGS)
                return READINGS / (stored - started)

            def baseline() -> float:
                empty()
                started = time.perf_counter()
                collection.insert_many(documents, ordered=False)
                return READINGS / (time.perf_counter() - started)

            return compare(name, keyhold=keyhold, baseline=baseline, bar=0.5, unit="readings/s", rounds=5)
    finally:
        mongo.connect()
        Reading._get_collection().delete_many({"s": {"$in": list(user.sensors.values_list("pk", flat=True))}})
        user.delete()


def telemetry_e2e():
    return _e2e("telemetry_e2e", "http")


def telemetry_e2e_udp():
    return _e2e("telemetry_e2e_udp", "udp")


BENCHMARKS = {"telemetry_e2e": telemetry_e2e, "telemetry_e2e_udp": telemetry_e2e_udp}
