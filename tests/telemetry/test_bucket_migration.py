"""manage.py telemetry_migrate_buckets: per-reading documents from before buckets, moved exactly once."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from telemetry.selectors import metrics_for_sensor, series_read
from telemetry.services import bucket_migration
from telemetry.services.bucket_migration import buckets_migrate
from telemetry.services.writer import readings_store
from tests.telemetry import held

pytestmark = pytest.mark.django_db

NOW = time.time_ns() - 3600 * 10**9


def legacy(db, sensor_id: int, count: int, metric: str = "temp") -> list[dict]:
    """Readings as the per-reading collection held them ("sensor:metric:ns:seq" ids)."""
    documents = [
        {
            "_id": f"{sensor_id}:{metric}:{NOW + i}:{i % 3}",
            "s": sensor_id,
            "m": metric,
            "ns": NOW + i,
            "v": float(i),
            "q": i % 3,
            **({"g": {"room": "a"}} if i % 2 else {}),
        }
        for i in range(count)
    ]
    db["readings"].insert_many(documents)
    return documents


def expected(documents: list[dict]) -> list[tuple]:
    return sorted(
        (doc["m"], tuple(sorted((doc.get("g") or {}).items())), doc["ns"], doc["q"], doc["v"]) for doc in documents
    )


def test_readings_move_into_buckets_once_and_the_old_collection_goes(mongo_db, capsys):
    documents = legacy(mongo_db, 5, 250)
    call_command("telemetry_migrate_buckets", "--chunk", "100")
    out = capsys.readouterr().out
    assert "250 readings moved into" in out
    assert "in 3 chunk(s)" in out
    assert sorted(held.physical(mongo_db, 5)) == expected(documents)
    assert "readings" not in mongo_db.list_collection_names()
    assert metrics_for_sensor(5) == ["temp"]
    # Again: nothing to do, nothing doubled.
    call_command("telemetry_migrate_buckets")
    assert "0 readings moved" in capsys.readouterr().out
    assert len(held.physical(mongo_db, 5)) == 250


def test_a_run_stopped_midway_is_finished_by_the_next_without_doubles(mongo_db, monkeypatch):
    documents = legacy(mongo_db, 6, 300)

    class Crash(Exception):
        pass

    real_store, stores = bucket_migration.series_batch_store, []

    def store_then_crash(*args, **kwargs):
        # The process dies after a chunk's buckets went in, before its readings were deleted: the case
        # where a careless migration would store them twice.
        stored = real_store(*args, **kwargs)
        stores.append(1)
        if len(stores) == 2:
            raise Crash
        return stored

    monkeypatch.setattr(bucket_migration, "series_batch_store", store_then_crash)
    with pytest.raises(Crash):
        buckets_migrate(chunk=120)
    assert mongo_db["readings"].count_documents({}) == 180
    assert len(held.physical(mongo_db, 6)) == 240  # the second chunk's buckets, its readings still there
    monkeypatch.undo()
    result = buckets_migrate(chunk=120)
    assert result.readings == 180
    assert sorted(held.physical(mongo_db, 6)) == expected(documents)


def test_a_migrated_reading_loses_to_a_newer_write_of_the_same_reading(mongo_db):
    (document,) = legacy(mongo_db, 7, 1)
    buckets_migrate()
    readings_store([[7, "temp", document["ns"], 99.0, document["q"], None]])
    assert held.visible(mongo_db, 7) == {("temp", (), document["ns"], document["q"]): 99.0}


def test_old_rollups_become_span_documents_and_their_metrics_stay_listed(mongo_db):
    legacy(mongo_db, 8, 1)
    # Rollups as stored before buckets: one document a window.
    hour = datetime(2026, 1, 1, 5, tzinfo=UTC)
    old = {"s": 8, "m": "old", "t": hour, "n": 60, "min": 1.0, "max": 9.0, "sum": 300.0, "mean": 5.0, "last": 2.0}
    mongo_db["rollups_hour"].insert_one({"_id": f"8:old:{int(hour.timestamp())}", **old})
    minute = {**old, "t": hour + timedelta(minutes=7), "n": 1, "sum": 4.0, "min": 4.0, "max": 4.0, "last": 4.0}
    mongo_db["rollups_minute"].insert_one({"_id": "8:old:m7", **minute})
    result = buckets_migrate()
    assert result.rollup_windows == 2
    assert metrics_for_sensor(8) == ["old", "temp"]
    assert not {"readings", "rollups_minute", "rollups_hour"} & set(mongo_db.list_collection_names())
    day = series_read(8, "old", hour - timedelta(hours=1), hour + timedelta(hours=2), 3600)
    assert day == [{"t": hour, "count": 60, "min": 1.0, "max": 9.0, "mean": 5.0, "last": 2.0}]
    minutes = series_read(8, "old", hour, hour + timedelta(hours=1), 60)
    assert minutes == [{"t": hour + timedelta(minutes=7), "count": 1, "min": 4.0, "max": 4.0, "mean": 4.0, "last": 4.0}]
