"""A sensor's raw readings: which metrics it sends, its newest values, and a time range for export."""

from collections.abc import Iterable, Iterator
from datetime import datetime

from telemetry import mongo
from telemetry.documents import Reading, RollupHour

# An export streams at most this many readings: a month of one reading a second is 2.6 million.
EXPORT_MAX_READINGS = 5_000_000
EXPORT_BATCH = 2000


def _collection(document):
    mongo.connect()
    return document._get_collection()


def _reading(row: dict) -> dict:
    return {"t": row["t"], "metric": row["m"], "value": row.get("v"), "tags": row.get("g") or {}}


def metrics_for_sensor(sensor_id: int) -> list[str]:
    """Every metric the sensor has readings or hour rollups of (rollups outlive raw readings), sorted."""
    with mongo.reachable():
        raw = _collection(Reading).distinct("m", {"s": sensor_id})
        rolled = _collection(RollupHour).distinct("m", {"s": sensor_id})
    return sorted(set(raw) | set(rolled))


def latest_readings(sensor_id: int, limit: int = 50) -> list[dict]:
    """The sensor's newest raw readings, newest first: `{"t", "metric", "value", "tags"}`."""
    limit = max(1, min(int(limit), 1000))
    with mongo.reachable():
        rows = _collection(Reading).find({"s": sensor_id}).sort([("s", 1), ("t", -1)]).limit(limit)
        return [_reading(row) for row in rows]


def last_values(sensor_ids: Iterable[int]) -> dict[int, dict]:
    """{sensor_id: {"metric", "value", "t"}} of each sensor's newest reading; sensors with none are left out.

    One indexed lookup per sensor (index sensor_newest): a list page of 100 sensors costs 100 short
    round trips on one connection, never a scan of anyone's history.
    """
    found = {}
    with mongo.reachable():
        collection = _collection(Reading)
        for sensor_id in dict.fromkeys(sensor_ids):
            row = collection.find_one({"s": sensor_id}, sort=[("s", 1), ("t", -1)], projection={"m": 1, "v": 1, "t": 1})
            if row is not None:
                found[sensor_id] = {"metric": row["m"], "value": row.get("v"), "t": row["t"]}
    return found


def readings_range(sensor_id: int, start: datetime, end: datetime, metric: str | None = None) -> Iterator[dict]:
    """Stream the sensor's readings in [start, end), oldest first, at most EXPORT_MAX_READINGS of them.

    A generator over a server-side cursor: memory stays flat however long the range. MongoDB
    errors surface while iterating, as MongoUnavailable when the server is down.
    """
    query: dict = {"s": sensor_id, "t": {"$gte": start, "$lt": end}}
    if metric is not None:
        query["m"] = metric
    with mongo.reachable():
        cursor = _collection(Reading).find(query).sort([("t", 1)]).limit(EXPORT_MAX_READINGS).batch_size(EXPORT_BATCH)
        try:
            for row in cursor:
                yield _reading(row)
        finally:
            cursor.close()
