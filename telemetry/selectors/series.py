"""A sensor metric's time series in fixed-width buckets, read from the cheapest source that can answer."""

from datetime import UTC, datetime

from telemetry import mongo
from telemetry.documents import Reading, RollupHour, RollupMinute

# Booleans and strings are readings too, but only numbers have a min, max and mean.
NUMERIC = {"$type": "number"}


# Rollups compose exactly: counts and sums add up, min of mins, max of maxes, last of lasts.
ROLLUP_ACCUMULATORS = {
    "n": {"$sum": "$n"},
    "sum": {"$sum": "$sum"},
    "min": {"$min": "$min"},
    "max": {"$max": "$max"},
    "last": {"$last": "$last"},
}
RAW_ACCUMULATORS = {
    "n": {"$sum": 1},
    "sum": {"$sum": "$v"},
    "min": {"$min": "$v"},
    "max": {"$max": "$v"},
    "last": {"$last": "$v"},
}


def _source(step_seconds: int) -> tuple:
    """Hour rollups for steps of an hour or more, minute rollups from a minute, raw readings below."""
    if step_seconds >= 3600:
        return RollupHour, ROLLUP_ACCUMULATORS, {}
    if step_seconds >= 60:
        return RollupMinute, ROLLUP_ACCUMULATORS, {}
    return Reading, RAW_ACCUMULATORS, {"v": NUMERIC}


def series_read(sensor_id: int, metric: str, start: datetime, end: datetime, step_seconds: int) -> list[dict]:
    """Buckets `{"t", "count", "min", "max", "mean", "last"}` of [start, end), oldest first, empty ones left out.

    Buckets start at multiples of `step_seconds` since the epoch, so the same step always gives the
    same buckets. From rollups, a whole window falls in the bucket its start falls in; rollups trail
    the newest readings by a minute or two (the beat schedule), raw readings do not.
    """
    if step_seconds < 1:
        raise ValueError("step_seconds must be at least 1")
    document, accumulators, extra = _source(step_seconds)
    step_ms = step_seconds * 1000
    millis = {"$toLong": "$t"}
    pipeline = [
        {"$match": {"s": sensor_id, "m": metric, "t": {"$gte": start, "$lt": end}, **extra}},
        {"$sort": {"t": 1}},
        {"$group": {"_id": {"$subtract": [millis, {"$mod": [millis, step_ms]}]}, **accumulators}},
        {"$sort": {"_id": 1}},
    ]
    with mongo.reachable():
        mongo.connect()
        rows = list(document._get_collection().aggregate(pipeline))
    return [
        {
            "t": datetime.fromtimestamp(row["_id"] / 1000, tz=UTC),
            "count": row["n"],
            "min": row["min"],
            "max": row["max"],
            "mean": row["sum"] / row["n"],
            "last": row["last"],
        }
        for row in rows
        if row["n"]
    ]
