"""Minute and hour aggregates (count, min, max, sum, mean, last) per sensor and numeric metric, recomputable.

Minutes are computed from raw readings, hours from minute rollups: the counts, sums, minima,
maxima and last values of minutes compose exactly into hours, and reading 60 times fewer documents
keeps the hourly pass cheap. Booleans and strings are skipped: they have no min, max or mean.
Each window's `_id` is "sensor:metric:window_start_epoch", written with a replacing upsert, so running
a window again (a backfill, a late reading, two beat runs at once) leaves the same result.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReplaceOne

from telemetry import mongo
from telemetry.documents import Reading, RollupHour, RollupMinute

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
NUMERIC = {"$type": "number"}


@dataclass(frozen=True)
class RollupResult:
    windows: int
    start: datetime
    end: datetime


def floor_to(moment: datetime, width: timedelta) -> datetime:
    """The start of the `width`-wide window (minute or hour, UTC) holding `moment`."""
    seconds = int(width.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def _aggregate(source, match: dict, unit: str, accumulators: dict) -> list[dict]:
    pipeline = [
        {"$match": match},
        # Sorted by time so that $last is the newest value of each window.
        {"$sort": {"t": 1}},
        {"$group": {"_id": {"s": "$s", "m": "$m", "w": {"$dateTrunc": {"date": "$t", "unit": unit}}}, **accumulators}},
    ]
    return list(source._get_collection().aggregate(pipeline, allowDiskUse=True))


def _replace(target, rows: list[dict]) -> int:
    operations = []
    for row in rows:
        key = row["_id"]
        window = key["w"] if key["w"].tzinfo else key["w"].replace(tzinfo=UTC)
        document = {
            "_id": f"{key['s']}:{key['m']}:{int(window.timestamp())}",
            "s": key["s"],
            "m": key["m"],
            "t": window,
            "n": row["n"],
            "min": row["min"],
            "max": row["max"],
            "sum": row["sum"],
            "mean": row["sum"] / row["n"],
            "last": row["last"],
        }
        operations.append(ReplaceOne({"_id": document["_id"]}, document, upsert=True))
    if operations:
        target._get_collection().bulk_write(operations, ordered=False)
    return len(operations)


def rollup_minutes(*, start: datetime, end: datetime) -> RollupResult:
    """Recompute every minute window between `start` and `end` (widened to whole minutes) from raw readings."""
    start, end = floor_to(start, MINUTE), floor_to(end - timedelta(microseconds=1), MINUTE) + MINUTE
    mongo.connect()
    rows = _aggregate(
        Reading,
        {"t": {"$gte": start, "$lt": end}, "v": NUMERIC},
        "minute",
        {
            "n": {"$sum": 1},
            "sum": {"$sum": "$v"},
            "min": {"$min": "$v"},
            "max": {"$max": "$v"},
            "last": {"$last": "$v"},
        },
    )
    return RollupResult(_replace(RollupMinute, rows), start, end)


def rollup_hours(*, start: datetime, end: datetime) -> RollupResult:
    """Recompute every hour window between `start` and `end` (widened to whole hours) from minute rollups."""
    start, end = floor_to(start, HOUR), floor_to(end - timedelta(microseconds=1), HOUR) + HOUR
    mongo.connect()
    rows = _aggregate(
        RollupMinute,
        {"t": {"$gte": start, "$lt": end}},
        "hour",
        {
            "n": {"$sum": "$n"},
            "sum": {"$sum": "$sum"},
            "min": {"$min": "$min"},
            "max": {"$max": "$max"},
            "last": {"$last": "$last"},
        },
    )
    return RollupResult(_replace(RollupHour, rows), start, end)


def rollup_recent(*, now: datetime | None = None, lookback_minutes: int = 10) -> RollupResult:
    """The beat's minute pass: the closed minutes of the last `lookback_minutes`, so late readings count."""
    end = floor_to(now or datetime.now(UTC), MINUTE)
    return rollup_minutes(start=end - lookback_minutes * MINUTE, end=end)


def rollup_recent_hours(*, now: datetime | None = None, lookback_hours: int = 2) -> RollupResult:
    """The beat's hour pass: the closed hours of the last `lookback_hours`, from their minute rollups."""
    end = floor_to(now or datetime.now(UTC), HOUR)
    return rollup_hours(start=end - lookback_hours * HOUR, end=end)
