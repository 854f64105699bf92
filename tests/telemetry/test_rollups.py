"""Rollups: exact, numeric only, idempotent, late readings included on re-run; beat routing; TTL indexes."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from config.celery import app as celery_app
from telemetry import tasks
from telemetry.aggregates import floor_to, windows_unpack
from telemetry.services.indexes import indexes_ensure
from telemetry.services.rollups import rollup_hours, rollup_minutes, rollup_recent
from telemetry.services.writer import readings_store
from tests.waiting import wait_until

# Storing readings marks their sensors seen in PostgreSQL (sensor ids here have no row: nothing moves).
pytestmark = pytest.mark.django_db

NS = 1_000_000_000
BASE = datetime.fromtimestamp((time.time() // 3600 - 3) * 3600, tz=UTC)


def store(readings):
    """One batch (one request), so a later call is a later batch: its repeat of a reading wins."""
    readings_store(readings)


def at(seconds: float) -> int:
    return int((BASE.timestamp() + seconds) * NS)


def windows(db, collection: str, **query) -> dict[str, dict]:
    """Every window the rollup documents hold, as {"sensor:metric:start": {"t", "n", "min", ...}}."""
    found = {}
    for document in db[collection].find(query):
        for start, n, low, high, total, last in windows_unpack(document):
            found[f"{document['s']}:{document['m']}:{start}"] = {
                "t": datetime.fromtimestamp(start, tz=UTC),
                "n": n,
                "min": low,
                "max": high,
                "sum": total,
                "mean": total / n,
                "last": last,
            }
    return found


def minute_docs(db):
    return windows(db, "rollup_minutes")


def test_minute_rollups_are_exact_numeric_only_and_idempotent(mongo_db):
    store([[1, "temp", at(s), s, 0, None] for s in (0, 10, 50)])  # ints
    store([[1, "temp", at(65), 2.5, 0, None], [1, "on", at(5), True, 0, None], [1, "mode", at(5), "eco", 0, None]])
    assert rollup_minutes(start=BASE, end=BASE + timedelta(minutes=2)).windows == 2
    first = minute_docs(mongo_db)
    key = f"1:temp:{int(BASE.timestamp())}"
    assert set(first) == {key, f"1:temp:{int(BASE.timestamp()) + 60}"}
    row = first[key]
    assert (row["n"], row["min"], row["max"], row["sum"], row["mean"], row["last"]) == (3, 0, 50, 60, 20.0, 50)
    assert row["t"] == BASE
    rollup_minutes(start=BASE, end=BASE + timedelta(minutes=2))
    assert minute_docs(mongo_db) == first
    # A late reading for the first minute: the next pass over that window includes it.
    store([[1, "temp", at(30), -4, 0, None]])
    rollup_minutes(start=BASE + timedelta(seconds=20), end=BASE + timedelta(seconds=40))
    row = minute_docs(mongo_db)[key]
    assert (row["n"], row["min"], row["last"]) == (4, -4, 50)


def test_a_reading_sent_again_counts_once_with_its_latest_value(mongo_db):
    store([[5, "temp", at(s), float(s), 0, {"room": "a"}] for s in range(0, 60, 10)])
    store([[5, "temp", at(s), float(s), 0, {"room": "b"}] for s in range(0, 60, 10)])  # another series
    store([[5, "temp", at(20), 100.0, 0, {"room": "a"}]])  # sent again, corrected
    rollup_minutes(start=BASE, end=BASE + timedelta(minutes=1))
    row = minute_docs(mongo_db)[f"5:temp:{int(BASE.timestamp())}"]
    a = [0.0, 10.0, 100.0, 30.0, 40.0, 50.0]
    b = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert (row["n"], row["min"], row["max"], row["sum"]) == (12, 0.0, 100.0, sum(a) + sum(b))
    # A series sent once, in the same pass.
    store([[6, "temp", at(s), float(s), 0, None] for s in range(0, 60, 10)])
    rollup_minutes(start=BASE, end=BASE + timedelta(minutes=1))
    row = minute_docs(mongo_db)[f"6:temp:{int(BASE.timestamp())}"]
    assert (row["n"], row["min"], row["max"], row["sum"], row["last"]) == (6, 0.0, 50.0, 150.0, 50.0)


def test_recomputing_some_minutes_keeps_the_others_of_their_hour(mongo_db):
    for i in range(10):
        store([[9, "t", at(i * 60), float(i), 0, None]])  # a batch, so a bucket, a minute
    rollup_minutes(start=BASE, end=BASE + timedelta(minutes=10))
    assert len(minute_docs(mongo_db)) == 10
    # A late reading in minute 3; minute 0's raw readings gone (retention): its rollup outlives them.
    store([[9, "t", at(3 * 60 + 1), 100.0, 0, None]])
    mongo_db["buckets"].delete_many({"s": 9, "n0": at(0)})
    rollup_minutes(start=BASE, end=BASE + timedelta(minutes=5))
    rows = minute_docs(mongo_db)
    assert len(rows) == 10
    assert (rows[f"9:t:{int(BASE.timestamp()) + 180}"]["n"], rows[f"9:t:{int(BASE.timestamp()) + 180}"]["max"]) == (
        2,
        100.0,
    )
    assert rows[f"9:t:{int(BASE.timestamp())}"]["n"] == 1


def test_hour_rollups_from_minutes_equal_an_aggregate_of_the_raw_readings(mongo_db):
    values = [(i * 37) % 101 - 50 + 0.25 for i in range(400)]
    store([[2, "p", at(i * 17), value, 0, None] for i, value in enumerate(values)])
    rollup_minutes(start=BASE, end=BASE + timedelta(hours=2))
    assert rollup_hours(start=BASE, end=BASE + timedelta(hours=2)).windows == 2
    hour = windows(mongo_db, "rollup_hours")[f"2:p:{int(BASE.timestamp())}"]
    in_hour = [value for i, value in enumerate(values) if i * 17 < 3600]
    assert (hour["n"], hour["min"], hour["max"], hour["last"]) == (
        len(in_hour),
        min(in_hour),
        max(in_hour),
        in_hour[-1],
    )
    assert hour["mean"] == pytest.approx(sum(in_hour) / len(in_hour))


def test_the_backfill_command_rolls_up_minutes_then_hours(mongo_db):
    store([[3, "flow", at(i * 60), 1.0, 0, None] for i in range(120)])
    call_command("telemetry_rollup", "--since", BASE.isoformat(), "--until", (BASE + timedelta(hours=2)).isoformat())
    assert len(windows(mongo_db, "rollup_minutes", s=3)) == 120
    # A document a span: the minutes of each of the two hours, the hours of their day (or two).
    assert mongo_db["rollup_minutes"].count_documents({"s": 3}) == 2
    assert [row["n"] for _, row in sorted(windows(mongo_db, "rollup_hours", s=3).items())] == [60, 60]


@pytest.mark.parametrize(
    "arguments", [["--since", "soon"], ["--since", "2026-01-02", "--until", "2026-01-01"], ["--since", "2020-01-01"]]
)
def test_the_backfill_command_refuses_bad_ranges(arguments):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("telemetry_rollup", *arguments)


def test_rollup_tasks_go_to_maintenance_and_the_ingest_path_stays_on_telemetry():
    def queue(name):
        return celery_app.amqp.router.route({}, name)["queue"].name

    assert queue("telemetry.tasks.store_batch") == "telemetry"
    assert queue("telemetry.tasks.heartbeat") == "telemetry"
    assert queue("telemetry.tasks.rollup_minutes") == "maintenance"
    assert queue("telemetry.tasks.rollup_hours") == "maintenance"
    scheduled = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"telemetry.tasks.rollup_minutes", "telemetry.tasks.rollup_hours"} <= scheduled


@pytest.mark.django_db(transaction=True)
def test_the_minute_task_rolls_up_recently_closed_minutes_through_the_worker(celery_worker_thread, mongo_db):
    closed = floor_to(datetime.now(UTC), timedelta(minutes=1)) - timedelta(minutes=3)
    store([[4, "temp", int(closed.timestamp() * NS) + i * NS, 1.0, 0, None] for i in range(10)])
    tasks.rollup_minutes.delay()
    wait_until(lambda: mongo_db["rollup_minutes"].find_one({"s": 4}), timeout=30)
    assert [row["n"] for row in windows(mongo_db, "rollup_minutes", s=4).values()] == [10]
    assert rollup_recent(lookback_minutes=10).windows >= 1


def test_retention_indexes_follow_the_settings_and_a_change_is_applied_in_place(mongo_db, settings):
    indexes_ensure()
    names = ("buckets", "rollup_minutes", "rollup_hours")
    ttl = {name: mongo_db[name].index_information()["retention"]["expireAfterSeconds"] for name in names}
    raw, rollup = settings.TELEMETRY_RAW_RETENTION_DAYS * 86400, settings.TELEMETRY_ROLLUP_RETENTION_DAYS * 86400
    assert ttl == {"buckets": raw, "rollup_minutes": rollup, "rollup_hours": rollup}
    # A bucket expires with its newest reading (its end time), never before any reading it holds.
    assert mongo_db["buckets"].index_information()["retention"]["key"] == [("t1", 1)]
    assert indexes_ensure() == []
    settings.TELEMETRY_RAW_RETENTION_DAYS = 10
    assert indexes_ensure() == [f"buckets.retention: expireAfterSeconds {raw} -> {10 * 86400}"]
    assert mongo_db["buckets"].index_information()["retention"]["expireAfterSeconds"] == 10 * 86400
    assert mongo_db["buckets"].index_information()["sensor_end"]["key"] == [("s", 1), ("t1", 1)]
