"""telemetry_vs_influxdb(_accepted): the same line-protocol load against InfluxDB 1.6 and Keyhold, side by side.

The load is what a fleet behind Telegraf sends: CLIENTS threads each posting BODY_LINES-line bodies of
`env,host=hN temp=..,hum=..i TS` (SERIES hosts, two fields a line), over keep-alive-free HTTP/1.1, the
same client code and bodies for both. InfluxDB is Debian's influxdb (1.6) started by the bench on free
loopback ports (bench.influxd); Keyhold is `make run`'s pipeline: gunicorn's `/write`, the broker, a
Celery worker with 2 processes, the MongoDB wire server.

- telemetry_vs_influxdb: readings per second stored, end to end. InfluxDB answers 204 once a write is
  in its WAL and queryable, so its figure is its accepted rate (checked by counting after each round);
  Keyhold's round ends when MongoDB holds every reading (bench.telemetry.readings_stored_at).
  Bar: >= 0.10. Keyhold's absolute rate is printed against the target of 100,000 readings/s.
- telemetry_vs_influxdb_accepted: readings per second answered 204, both sides. Bar: >= 0.25.

Rounds alternate which server goes first; each round writes new timestamps into an emptied store
(Keyhold: the sensor's buckets deleted; InfluxDB: the database dropped), untimed.
"""

import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path

from django.contrib.auth import get_user_model

from bench.harness import Result, from_rounds, smoke
from bench.influxd import influxd
from bench.telemetry import readings_stored_at, stored_count
from bench.telemetry_e2e import _pipeline, post_bodies
from telemetry import mongo
from telemetry.documents import Bucket
from telemetry.services.sensors import sensor_create

CLIENTS = 4
BODY_LINES = 2_500
SERIES = 100
BODIES = 80  # 200,000 lines, 400,000 readings a round
TARGET_READINGS_PER_SECOND = 100_000
DATABASE = "bench"


def _bodies(base_ns: int) -> list[bytes]:
    bodies = []
    for body in range(BODIES):
        lines = []
        for line in range(BODY_LINES):
            n = body * BODY_LINES + line
            lines.append(f"env,host=h{n % SERIES} temp={20 + n % 50 / 10},hum={n % 100}i {base_ns + n * 1000}")
        bodies.append("\n".join(lines).encode())
    return bodies


def _keyhold_round(port: int, token: str, sensor_id: int, bodies: list[bytes], readings: int) -> tuple[float, float]:
    headers = {"Authorization": f"Token {token}", "Content-Type": "text/plain"}
    started, answered = post_bodies(port, f"/write?db={DATABASE}&precision=ns", bodies, headers)
    stored = readings_stored_at(sensor_id=sensor_id, count=readings, timeout=300)
    if (count := stored_count(sensor_id)) != readings:
        raise RuntimeError(f"telemetry_vs_influxdb: {count} readings stored, {readings} sent")
    return readings / (answered - started), readings / (stored - started)


def _influx_round(server, bodies: list[bytes], readings: int) -> tuple[float, float]:
    headers = {"Content-Type": "text/plain"}
    started, answered = post_bodies(server.port, f"/write?db={DATABASE}&precision=ns", bodies, headers)
    rate = readings / (answered - started)
    answer = json.loads(server.query("SELECT count(temp), count(hum) FROM env", DATABASE))
    # [["1970-01-01T00:00:00Z", temps, hums]]: both fields of every line must be there, and queryable.
    counts = answer["results"][0]["series"][0]["values"][0][1:]
    if counts != [readings // 2, readings // 2]:
        raise RuntimeError(f"telemetry_vs_influxdb: InfluxDB holds {counts} of {readings} readings")
    return rate, rate


def telemetry_vs_influxdb() -> list[Result]:
    rounds, warmup = (1, 0) if smoke() else (5, 1)
    readings = BODIES * BODY_LINES * 2
    user = get_user_model().objects.create_user(email="bench-influx@example.test", password="x" * 20)
    base = time.time_ns() - 3 * 3600 * 10**9
    accepted, stored = [], []
    try:
        sensor, token = sensor_create(owner=user, name="bench-influx")
        mongo.connect()
        with influxd() as server, _pipeline_only() as port:
            for number in range(warmup + rounds):
                bodies = _bodies(base + number * BODIES * BODY_LINES * 1000)
                Bucket._get_collection().delete_many({"s": sensor.pk})
                server.query(f"DROP DATABASE {DATABASE}")
                server.query(f"CREATE DATABASE {DATABASE}")
                if number % 2:
                    theirs = _influx_round(server, bodies, readings)
                    ours = _keyhold_round(port, token, sensor.pk, bodies, readings)
                else:
                    ours = _keyhold_round(port, token, sensor.pk, bodies, readings)
                    theirs = _influx_round(server, bodies, readings)
                if number < warmup:
                    continue
                accepted.append((ours[0], theirs[0]))
                stored.append((ours[1], theirs[1]))
    finally:
        mongo.connect()
        Bucket._get_collection().delete_many({"s": {"$in": list(user.sensors.values_list("pk", flat=True))}})
        user.delete()
    ours_stored = statistics.median(k for k, _ in stored)
    print(
        f"telemetry_vs_influxdb: Keyhold stores {ours_stored:,.0f} readings/s end to end "
        f"(target {TARGET_READINGS_PER_SECOND:,}); InfluxDB 1.6 {statistics.median(b for _, b in stored):,.0f}"
    )
    rows = {
        "telemetry_vs_influxdb": ("readings/s stored", stored, 0.10),
        "telemetry_vs_influxdb_accepted": ("readings/s answered", accepted, 0.25),
    }
    return [
        from_rounds(name, unit=unit, ours=[k for k, _ in pairs], theirs=[b for _, b in pairs], bar=bar)
        for name, (unit, pairs, bar) in rows.items()
    ]


@contextlib.contextmanager
def _pipeline_only():
    """gunicorn and the worker (and the idle listener) as `make run` starts them; yields the web port."""
    with tempfile.TemporaryDirectory() as spool, _pipeline(Path(spool)) as (port, _udp):
        yield port


BENCHMARKS = {"telemetry_vs_influxdb": telemetry_vs_influxdb}
