"""Series, latest readings, last values, export ranges and pipeline health against the real MongoDB server."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from telemetry.selectors import (
    last_values,
    latest_readings,
    metrics_for_sensor,
    pipeline_health,
    readings_range,
    series_read,
)
from telemetry.services.rejects import rejects_record
from telemetry.services.rollups import rollup_hours, rollup_minutes
from telemetry.services.writer import readings_store

# Storing readings marks their sensors seen in PostgreSQL (sensor ids here have no row: nothing moves).
pytestmark = pytest.mark.django_db

NS = 1_000_000_000
# A fixed hour well inside the retention window, on a whole hour.
BASE = datetime.fromtimestamp((time.time() // 3600 - 3) * 3600, tz=UTC)


def at(seconds: float) -> int:
    return int((BASE.timestamp() + seconds) * NS)


def store(readings: list[list]) -> None:
    readings_store(readings)


@pytest.fixture
def history(mongo_db):
    """Sensor 7: one "temp" reading every 10 s for two hours (value = index), plus a bool and a string."""
    readings = [[7, "temp", at(i * 10), float(i), 0, {"room": "a"}] for i in range(720)]
    readings += [
        [7, "door", at(5), True, 0, None],
        [7, "state", at(6), "open", 0, None],
        [8, "temp", at(30), 1.5, 0, None],
    ]
    store(readings)
    return readings


def test_raw_series_buckets_match_a_hand_computation(history):
    buckets = series_read(7, "temp", BASE, BASE + timedelta(minutes=2), 30)
    assert len(buckets) == 4
    first = buckets[0]
    assert first == {"t": BASE, "count": 3, "min": 0.0, "max": 2.0, "mean": 1.0, "last": 2.0}
    assert buckets[-1]["t"] == BASE + timedelta(seconds=90)


def test_minute_and_hour_series_come_from_rollups_and_agree_with_raw(history):
    assert series_read(7, "temp", BASE, BASE + timedelta(hours=2), 60) == []  # nothing rolled up yet
    rollup_minutes(start=BASE, end=BASE + timedelta(hours=2))
    rollup_hours(start=BASE, end=BASE + timedelta(hours=2))
    minutes = series_read(7, "temp", BASE, BASE + timedelta(hours=2), 60)
    assert len(minutes) == 120
    assert minutes[1] == {
        "t": BASE + timedelta(minutes=1),
        "count": 6,
        "min": 6.0,
        "max": 11.0,
        "mean": 8.5,
        "last": 11.0,
    }
    hours = series_read(7, "temp", BASE, BASE + timedelta(hours=2), 3600)
    assert [bucket["count"] for bucket in hours] == [360, 360]
    assert hours[1] == {
        "t": BASE + timedelta(hours=1),
        "count": 360,
        "min": 360.0,
        "max": 719.0,
        "mean": 539.5,
        "last": 719.0,
    }
    five = series_read(7, "temp", BASE, BASE + timedelta(hours=1), 300)
    assert len(five) == 12
    assert (five[0]["count"], five[0]["last"]) == (30, 29.0)


def test_bool_and_string_metrics_have_no_series_but_are_listed(history):
    rollup_minutes(start=BASE, end=BASE + timedelta(minutes=5))
    assert series_read(7, "door", BASE, BASE + timedelta(minutes=5), 10) == []
    assert series_read(7, "state", BASE, BASE + timedelta(minutes=5), 60) == []
    assert metrics_for_sensor(7) == ["door", "state", "temp"]
    assert metrics_for_sensor(999) == []


def test_latest_readings_and_last_values(history):
    latest = latest_readings(7, limit=3)
    assert [row["value"] for row in latest] == [719.0, 718.0, 717.0]
    assert latest[0] == {
        "t": BASE + timedelta(seconds=7190),
        "ns": at(7190),
        "metric": "temp",
        "value": 719.0,
        "tags": {"room": "a"},
    }
    values = last_values([7, 8, 999])
    assert values == {
        7: {"metric": "temp", "value": 719.0, "t": BASE + timedelta(seconds=7190)},
        8: {"metric": "temp", "value": 1.5, "t": BASE + timedelta(seconds=30)},
    }


def test_readings_range_streams_only_the_range_and_metric(history):
    rows = list(readings_range(7, BASE, BASE + timedelta(seconds=60), metric="temp"))
    assert [row["value"] for row in rows] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    everything = list(readings_range(7, BASE, BASE + timedelta(seconds=10)))
    assert [row["metric"] for row in everything] == ["temp", "door", "state"]


def test_a_reading_sent_again_shows_once_everywhere_with_its_latest_value(history):
    store([[7, "temp", at(20), -1.0, 0, {"room": "a"}], [7, "temp", at(7190), -2.0, 0, {"room": "a"}]])
    rows = list(readings_range(7, BASE, BASE + timedelta(seconds=60), metric="temp"))
    assert [row["value"] for row in rows] == [0.0, 1.0, -1.0, 3.0, 4.0, 5.0]
    assert series_read(7, "temp", BASE, BASE + timedelta(seconds=30), 30)[0]["count"] == 3
    assert [row["value"] for row in latest_readings(7, limit=2)] == [-2.0, 718.0]
    assert last_values([7])[7]["value"] == -2.0
    rollup_minutes(start=BASE, end=BASE + timedelta(minutes=1))
    assert series_read(7, "temp", BASE, BASE + timedelta(minutes=1), 60)[0]["count"] == 6


def test_pipeline_health_reports_rate_lag_dead_letters_and_rejects(mongo_db):
    now = datetime.now(UTC)
    store([[3, "temp", time.time_ns() - i * NS, 1.0, 0, None] for i in range(60)])
    rejects_record({3: (4, "bad value")})
    health = pipeline_health(now=now + timedelta(seconds=1))
    assert health["ingest_per_second"] == 0.2
    assert 0 <= health["worker_lag_seconds"] < 5
    assert health["dead_letters"] == 0
    assert health["rejects_last_hour"] == 4
    assert isinstance(health["queue_depth"], int)
