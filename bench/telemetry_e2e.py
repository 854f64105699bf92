"""telemetry_e2e(_udp): line protocol over HTTP (UDP) -> broker -> worker -> MongoDB, against raw insert_many.

Keyhold's side is the whole pipeline as sensors see it: a real gunicorn serving `/api/v2/write` (token
check, the plain-body check, enqueue) loaded by CLIENTS threads posting BATCH-line bodies, and a real
Celery worker (2 processes; BENCH_WORKER_CONCURRENCY overrides) parsing and storing each body as one
batch of bucket documents. telemetry_e2e_udp sends the same lines to a real `manage.py
telemetry_listener` instead, packed into datagrams of at most DATAGRAM_BYTES as Telegraf's UDP output
packs them, each line with its token: the listener authenticates and forwards them in batches, and the
worker parses and stores them. A round sends READINGS readings and ends when MongoDB holds every one
(bench.telemetry.readings_stored_at); its figure is readings per second, printed beside
the target of 100,000.

The baseline is the least that storing them can cost: one pymongo `insert_many(ordered=False)` per
body of the very bucket documents the worker writes for it, built beforehand, into the same collection
and server. The sensor's buckets are deleted between rounds, untimed. Bar: >= 0.5.
"""

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.contrib.auth import get_user_model

from bench.harness import compare
from bench.listener import rcvbuf_errors
from bench.processes import running
from bench.telemetry import bucket_documents, readings_stored_at
from config.celery import app as celery_app
from devstack.ports import free_port
from telemetry import mongo
from telemetry.documents import Bucket
from telemetry.lineprotocol import parse_lines
from telemetry.readings import readings_from_point
from telemetry.services.sensors import sensor_create

ROOT = Path(__file__).resolve().parent.parent
READINGS = 200_000
BATCH = 2_500
CLIENTS = 4
TARGET = "readings/s; target 100,000"
# The UDP sender's pace: 1.5 times the target. UDP has no backpressure, so the pipeline's figure can be
# no higher; a kernel drop (a pace the listener cannot take) fails the round rather than skew it.
UDP_LINES_PER_SECOND = 150_000
# Telegraf's influxdb output sends at most 512 bytes per UDP datagram by default; this stays under a
# typical MTU too, so no datagram is fragmented.
DATAGRAM_BYTES = 1400


def _lines(count: int) -> list[bytes]:
    now = time.time_ns() - 3600 * 10**9
    return [f"environment,room=lab{i % 8} value={20 + i % 50 / 10} {now + i * 1000}".encode() for i in range(count)]


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
    with running(web, env=env), running(worker, env=env), running(listener, env=env, stdout=subprocess.PIPE) as sockets:
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


def post_bodies(port: int, path: str, bodies: list[bytes], headers: dict) -> tuple[float, float]:
    """(started, all answered) perf_counter instants of CLIENTS threads posting `bodies` between them.

    A new connection per body, as a fleet of agents each sending its batch makes them.
    """
    failures: list[str] = []

    def client(mine: list[bytes]) -> None:
        for body in mine:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            connection.close()
            if response.status != 204:
                failures.append(f"{response.status} {answer[:200]!r}")
                return

    threads = [threading.Thread(target=client, args=(bodies[i::CLIENTS],)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered = time.perf_counter()
    if failures:
        raise RuntimeError(f"bench: a write was refused: {failures[0]}")
    return started, answered


def _bodies(lines: list[bytes]) -> list[bytes]:
    return [b"\n".join(lines[start : start + BATCH]) for start in range(0, len(lines), BATCH)]


def _over_udp(address: tuple, datagrams: list[bytes], lines_per_datagram: float) -> None:
    """Send at UDP_LINES_PER_SECOND: faster than a receiver drains it, UDP drops datagrams by design."""
    rate = UDP_LINES_PER_SECOND / lines_per_datagram
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        started = time.perf_counter()
        for number, datagram in enumerate(datagrams):
            if number % 50 == 0 and (delay := started + number / rate - time.perf_counter()) > 0:
                time.sleep(delay)
            sock.sendto(datagram, address)


def _e2e(name: str, transport: str):
    user = get_user_model().objects.create_user(email=f"bench-{name}@example.test", password="x" * 20)
    try:
        sensor, token = sensor_create(owner=user, name="bench")
        lines = _lines(READINGS)
        bodies = _bodies(lines)
        batches = []
        for body in bodies:
            points, errors = parse_lines(body)
            if errors:
                raise RuntimeError(f"telemetry_e2e: the bench lines do not parse: {errors[0]}")
            batches.append(bucket_documents([r for point in points for r in readings_from_point(sensor.pk, point)]))
        mongo.connect()
        collection = Bucket._get_collection()
        datagrams = _datagrams(lines, token)
        headers = {"Authorization": f"Token {token}", "Content-Type": "text/plain"}

        def empty() -> None:
            collection.delete_many({"s": sensor.pk})

        with tempfile.TemporaryDirectory() as spool, _pipeline(Path(spool)) as (port, udp):

            def keyhold() -> float:
                empty()
                started = time.perf_counter()
                if transport == "udp":
                    drops = rcvbuf_errors()
                    _over_udp(udp, datagrams, READINGS / len(datagrams))
                else:
                    post_bodies(port, "/api/v2/write?org=bench&bucket=bench&precision=ns", bodies, headers)
                stored = readings_stored_at(sensor_id=sensor.pk, count=READINGS, timeout=60)
                if transport == "udp" and rcvbuf_errors() != drops:
                    raise RuntimeError("telemetry_e2e_udp: the kernel dropped datagrams: lower UDP_LINES_PER_SECOND")
                return READINGS / (stored - started)

            def baseline() -> float:
                empty()
                started = time.perf_counter()
                for documents in batches:
                    collection.insert_many(documents, ordered=False)
                return READINGS / (time.perf_counter() - started)

            return compare(name, keyhold=keyhold, baseline=baseline, bar=0.5, unit=TARGET, rounds=5)
    finally:
        mongo.connect()
        Bucket._get_collection().delete_many({"s": {"$in": list(user.sensors.values_list("pk", flat=True))}})
        user.delete()


def telemetry_e2e():
    return _e2e("telemetry_e2e", "http")


def telemetry_e2e_udp():
    return _e2e("telemetry_e2e_udp", "udp")


BENCHMARKS = {"telemetry_e2e": telemetry_e2e, "telemetry_e2e_udp": telemetry_e2e_udp}
