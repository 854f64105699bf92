"""10,000 readings through a live server, the real broker and a real worker land in MongoDB exactly once."""

import json
import time
import urllib.request
from datetime import UTC, datetime

import pytest
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from telemetry.selectors import readings_range
from tests.telemetry import held, ingest_support
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COUNT = 10_000
BATCH = 2_500

owner = pytest.fixture(ingest_support.owner)
sensor = pytest.fixture(ingest_support.sensor)


def settled_count(db, sensor_id: int, expected: int) -> int:
    """The stored count once it reached `expected` and stayed there a moment (a late duplicate would show)."""
    wait_until(lambda: held.count(db, sensor_id) >= expected, timeout=90)
    time.sleep(1.5)
    return held.count(db, sensor_id)


def test_influxdb_client_writes_10000_points_exactly_once(live_server, sensor, celery_worker_thread, mongo_db):
    sensor, token = sensor
    now = time.time_ns()
    points = [
        Point("temperature").tag("room", "hall").field("value", float(i)).time(now - i * 1000, WritePrecision.NS)
        for i in range(COUNT)
    ]
    with InfluxDBClient(url=live_server.url, token=token, org="any", timeout=60_000) as influx:
        writer = influx.write_api(write_options=SYNCHRONOUS)
        for start in range(0, COUNT, BATCH):
            writer.write(bucket="any", record=points[start : start + BATCH], write_precision=WritePrecision.NS)
    assert settled_count(mongo_db, sensor.pk, COUNT) == COUNT
    readings = held.physical(mongo_db, sensor.pk)
    assert sorted(reading[4] for reading in readings) == [float(i) for i in range(COUNT)]
    seventh = next(reading for reading in readings if reading[4] == 7.0)
    assert seventh[:4] == ("temperature", (("room", "hall"),), now - 7000, 0)


def post_json(url: str, token: str, entries: list[dict]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(entries).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def test_json_batches_of_10000_readings_land_exactly_once_even_when_sent_twice(
    live_server, sensor, celery_worker_thread, mongo_db
):
    sensor, token = sensor
    epoch = time.time() - 3600
    entries = [{"metric": "humidity", "value": i, "ts": epoch + i / 1000, "seq": i} for i in range(COUNT)]
    url = f"{live_server.url}/api/telemetry/readings"
    for start in range(0, COUNT, BATCH):
        assert post_json(url, token, entries[start : start + BATCH]) == 204
    # A client that missed the answer sends a batch again: a later batch, so its copies are stored too
    # (nothing is read before a write), and every reader shows each reading once.
    assert post_json(url, token, entries[:BATCH]) == 204
    assert settled_count(mongo_db, sensor.pk, COUNT + BATCH) == COUNT + BATCH
    visible = held.visible(mongo_db, sensor.pk)
    assert sorted(seq for (_metric, _tags, _ns, seq) in visible) == list(range(COUNT))
    start, end = datetime.fromtimestamp(epoch - 1, UTC), datetime.fromtimestamp(epoch + COUNT, UTC)
    exported = list(readings_range(sensor.pk, start, end))
    assert [row["value"] for row in exported] == list(range(COUNT))
