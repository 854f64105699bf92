"""Count rejected readings per sensor and hour in MongoDB, with the latest reason, for the pages."""

from datetime import UTC, datetime

from pymongo import UpdateOne

from telemetry import mongo

COLLECTION = "rejects"
# Lines that never reached a sensor (bad token, unparseable datagram) are counted under sensor 0.
UNKNOWN_SENSOR = 0
MAX_REASON_CHARS = 200


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def rejects_record(counts: dict[int, tuple[int, str]], *, now: datetime | None = None) -> None:
    """Add {sensor_id: (rejected, latest_reason)} to this hour's counters, in one round trip."""
    if not counts:
        return
    hour = _hour(now or datetime.now(UTC))
    operations = [
        UpdateOne(
            {"_id": f"{sensor_id}:{int(hour.timestamp())}"},
            {"$inc": {"n": rejected}, "$set": {"s": sensor_id, "h": hour, "last": reason[:MAX_REASON_CHARS]}},
            upsert=True,
        )
        for sensor_id, (rejected, reason) in counts.items()
        if rejected > 0
    ]
    if operations:
        mongo.connect()
        mongo.database()[COLLECTION].bulk_write(operations, ordered=False)


def rejects_since(since: datetime, sensor_ids: list[int] | None = None) -> dict[int, dict]:
    """{sensor_id: {"count": n, "last": reason}} for hours starting at or after `since`'s hour."""
    query: dict = {"h": {"$gte": _hour(since)}}
    if sensor_ids is not None:
        query["s"] = {"$in": sensor_ids}
    with mongo.reachable():
        mongo.connect()
        rows = mongo.database()[COLLECTION].find(query).sort("h", 1)
        totals: dict[int, dict] = {}
        for row in rows:
            entry = totals.setdefault(row["s"], {"count": 0, "last": ""})
            entry["count"] += row["n"]
            entry["last"] = row["last"]
    return totals
