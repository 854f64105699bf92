"""Minute and hour aggregates (count, min, max, sum, mean, last) per sensor and numeric metric, recomputable.

Minutes are computed from the buckets, series by series, merged as every reader merges them (a
reading sent again counts once, with its latest value), a bounded stretch of buckets at a time. Hours
are computed from minute rollups: counts, sums, minima, maxima and last values of minutes compose
exactly into hours.
Booleans and strings are skipped: they have no min, max or mean. Each window's `_id` is
"sensor:metric:window_start_epoch", written with a replacing upsert, so running a window again (a
backfill, a late reading, two beat runs at once) leaves the same result.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReplaceOne

from telemetry import mongo
from telemetry.bucketcodec import chunks_unpack
from telemetry.buckets import bson_sum, minute_aggregates, moment, ns_of
from telemetry.documents import Bucket, RollupHour, RollupMinute
from telemetry.selectors.buckets import PLAN_FIELDS, buckets_fetch, merged, plan_chunks

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
NS_PER_SECOND = 1_000_000_000


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


def _add_minutes(minutes: dict[int, list], entries: list[list]) -> None:
    """Add per-minute aggregates (telemetry.buckets.minute_aggregates) to `minutes`."""
    for minute, _count, numbers, low, high, total, at, last in entries:
        if not numbers:
            continue
        found = minutes.get(minute)
        if found is None:
            minutes[minute] = [numbers, low, high, total, at, last]
            continue
        found[0] += numbers
        found[1], found[2], found[3] = min(found[1], low), max(found[2], high), bson_sum((found[3], total))
        if at >= found[4]:
            found[4], found[5] = at, last


def rollup_minutes(*, start: datetime, end: datetime) -> RollupResult:
    """Recompute every minute window between `start` and `end` (widened to whole minutes) from the buckets."""
    start, end = floor_to(start, MINUTE), floor_to(end - timedelta(microseconds=1), MINUTE) + MINUTE
    start_ns, end_ns = ns_of(start), ns_of(end)
    mongo.connect()
    found = Bucket._get_collection().find({"t1": {"$gte": start}, "t0": {"$lt": moment(end_ns)}}, PLAN_FIELDS)
    plan = [bucket for bucket in found if bucket["n1"] >= start_ns and bucket["n0"] < end_ns]
    windows: dict[tuple[int, str], dict[int, list]] = {}
    for chunk in plan_chunks(plan):
        by_metric: dict[tuple[int, str], list] = {}
        for bucket in buckets_fetch([planned["_id"] for planned in chunk]):
            for series in chunks_unpack(bucket):
                by_metric.setdefault((bucket["s"], series.metric), []).append(series)
        for key, members in by_metric.items():
            minutes = windows.setdefault(key, {})
            for row in merged(members, start_ns, end_ns):
                _add_minutes(minutes, minute_aggregates(row.times, row.values))
    rows = [
        {"_id": {"s": sensor_id, "m": metric, "w": datetime.fromtimestamp(minute, tz=UTC)}, "n": n}
        | {"min": low, "max": high, "sum": total, "last": last}
        for (sensor_id, metric), minutes in windows.items()
        for minute, (n, low, high, total, _at, last) in minutes.items()
    ]
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
