"""Reject counters: per sensor and hour, summed across calls, with the latest reason."""

from datetime import UTC, datetime, timedelta

from telemetry.services.rejects import UNKNOWN_SENSOR, rejects_record, rejects_since


def test_counts_add_up_per_sensor_and_keep_the_latest_reason(mongo_db):
    now = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    rejects_record({4: (2, "line 1: bad"), UNKNOWN_SENSOR: (1, "unknown token")}, now=now)
    rejects_record({4: (3, "line 9: " + "x" * 500), 5: (0, "nothing")}, now=now + timedelta(minutes=10))
    rejects_record({4: (1, "an hour later")}, now=now + timedelta(hours=1))

    totals = rejects_since(now - timedelta(minutes=30))
    assert totals[4] == {"count": 6, "last": "an hour later"}
    assert totals[UNKNOWN_SENSOR]["count"] == 1
    assert 5 not in totals

    latest_hour = rejects_since(now + timedelta(hours=1), sensor_ids=[4])
    assert latest_hour == {4: {"count": 1, "last": "an hour later"}}
    assert len(mongo_db["rejects"].find_one({"s": 4, "n": 5})["last"]) == 200
