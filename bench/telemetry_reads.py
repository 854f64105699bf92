"""Telemetry reads at scale: each read of a sensor holding 10 million readings against the same at 10,000.

Two sensors of one user hold BIG and SMALL readings of two metrics over the last 30 days (the raw
retention), one reading every 0.26 s or every 4.3 minutes per metric, written as the worker writes
them (10-minute batches) and rolled up by the real rollup services. Both live in the same collections,
so only the sensor's own history differs. Each row compares the same read of the big sensor with the
small one, through the whole Django stack (test client, signed in), rounds interleaved (bar: <= 2.0,
at most twice the time):

- telemetry_page_scale: the sensor page: charts of the last hour (raw readings, 30 s buckets), day
  (minute rollups) and week (hour rollups), the 50 latest readings, the rejects.
- telemetry_week_scale: a week's chart, as the series API serves it (`step=3600`, hour rollups).
- telemetry_series_scale: the series API over the last hour at `step=10` (raw readings: 14,000 of them
  for the big sensor, 14 for the small one).
- telemetry_csv_scale: the 31-day CSV export, time per exported line (the export stops at 100,000
  lines, which the big sensor's month exceeds 50 times over and the small one's never reaches).

`make bench BENCH_SMOKE=1` writes SMOKE_BIG readings instead of BIG, to prove the code paths in
seconds; the bars are judged on full runs only.
"""

import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.test import Client

from bench.harness import compare, smoke
from telemetry import mongo
from telemetry.buckets import SeriesBatch, batch_id_new
from telemetry.services.rollups import rollup_hours, rollup_minutes
from telemetry.services.sensors import sensor_create
from telemetry.services.writer import series_batch_store

BIG = 10_000_000
SMOKE_BIG = 200_000
SMALL = 10_000
METRICS = ("temperature", "humidity")
SPAN = timedelta(days=30)
BATCH_SPAN_NS = 600 * 10**9
REQUESTS_PER_ROUND = {"page": 10, "week": 20, "series": 20, "csv": 1}
NS = 10**9


def _fill(sensor_id: int, readings: int, end_ns: int) -> None:
    """`readings` readings spread evenly over SPAN up to `end_ns`, in 10-minute batches as the worker writes."""
    per_metric = readings // len(METRICS)
    start_ns = end_ns - int(SPAN.total_seconds()) * NS
    step = (end_ns - start_ns) // per_metric
    batch_start = start_ns
    while batch_start < end_ns:
        first = -(-(batch_start - start_ns) // step)
        last = min(per_metric, -(-(batch_start + BATCH_SPAN_NS - start_ns) // step))
        if last > first:
            batch = SeriesBatch()
            times = [start_ns + i * step for i in range(first, last)]
            for offset, metric in enumerate(METRICS):
                values = [20.0 + offset + (i % 600) / 100 for i in range(first, last)]
                batch.series_for(sensor_id, metric, {"site": "bench"}).extend(times, values)
                batch.count += len(times)
            series_batch_store(batch, batch_id=batch_id_new(), mark_seen=False)
        batch_start += BATCH_SPAN_NS


def _erase(sensor_ids: list[int]) -> None:
    database = mongo.database()
    for name in ("buckets", "series", "rollup_minutes", "rollup_hours"):
        database[name].delete_many({"s": {"$in": sensor_ids}})


@contextmanager
def _sensors():
    """(client signed in as their owner, big sensor, small sensor), filled and rolled up; erased after."""
    user = get_user_model().objects.create_user(email="bench-reads@example.test", password="x" * 20)
    sensors = []
    try:
        big, _ = sensor_create(owner=user, name="big")
        small, _ = sensor_create(owner=user, name="small")
        sensors = [big.pk, small.pk]
        end_ns = time.time_ns()
        started = time.monotonic()
        _fill(big.pk, SMOKE_BIG if smoke() else BIG, end_ns)
        _fill(small.pk, SMALL, end_ns)
        now = datetime.now(UTC)
        rollup_minutes(start=now - SPAN - timedelta(hours=1), end=now)
        rollup_hours(start=now - SPAN - timedelta(hours=2), end=now)
        print(
            f"telemetry reads: {SMOKE_BIG if smoke() else BIG:,} readings stored and rolled up in "
            f"{time.monotonic() - started:.0f} s"
        )
        client = Client()
        client.force_login(user)
        yield client, big, small
    finally:
        _erase(sensors)
        user.delete()


def _timed(client: Client, url: str, count: int, expect: bytes):
    """Milliseconds per request (streamed bodies read to the end), or microseconds per CSV line."""

    def measure() -> float:
        lines, started = 0, time.perf_counter()
        for _ in range(count):
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if response.status_code != 200 or expect not in body:
                raise RuntimeError(f"telemetry reads: {url} answered {response.status_code}")
            lines += body.count(b"\n")
        elapsed = time.perf_counter() - started
        return elapsed / lines * 1e6 if expect == b"time,metric" else elapsed / count * 1e3

    return measure


def _row(name: str, kind: str, urls, client: Client, expect: bytes):
    big_url, small_url = urls
    count = REQUESTS_PER_ROUND[kind]
    return compare(
        name,
        keyhold=_timed(client, big_url, count, expect),
        baseline=_timed(client, small_url, count, expect),
        bar=2.0,
        unit="us per line" if kind == "csv" else "ms per request",
        higher_is_better=False,
        rounds=5,
    )


def telemetry_read_scale() -> list:
    with _sensors() as (client, big, small):
        now = datetime.now(UTC).replace(microsecond=0)

        def series(sensor, **query) -> str:
            params = "&".join(f"{key}={value}" for key, value in query.items())
            return f"/api/telemetry/sensors/{sensor.pk}/series?metric=temperature&{params}"

        week = {"start": (now - timedelta(days=7)).isoformat().replace("+00:00", "Z"), "step": 3600}
        hour = {"start": (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z"), "step": 10}
        month = (now - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M"), now.strftime("%Y-%m-%dT%H:%M")
        csv = "/telemetry/sensors/{}/export/?start={}&end={}"
        return [
            _row("telemetry_page_scale", "page", [f"/telemetry/sensors/{s.pk}/" for s in (big, small)], client, b"svg"),
            _row("telemetry_week_scale", "week", [series(s, **week) for s in (big, small)], client, b"buckets"),
            _row("telemetry_series_scale", "series", [series(s, **hour) for s in (big, small)], client, b"buckets"),
            _row(
                "telemetry_csv_scale", "csv", [csv.format(s.pk, *month) for s in (big, small)], client, b"time,metric"
            ),
        ]


BENCHMARKS = {"telemetry_read_scale": telemetry_read_scale}
