"""Minute and hour aggregates (count, min, max, sum, mean, last) per sensor and numeric metric, recomputable.

Minutes are computed from the buckets, series by series, merged as every reader merges them (a reading
sent again counts once, with its latest value), a bounded stretch of buckets at a time. Hours are
computed from minute rollups: counts, sums, minima, maxima and last values of minutes compose exactly
into hours. Booleans and strings are skipped: they have no min, max or mean.

A rollup document holds the windows of one span (telemetry.documents: the minutes of an hour, the hours
of a day). Recomputing windows replaces their entries and keeps the span's others, so running a
window again (a backfill, a late reading, two beat runs at once) leaves the same result; a window
whose raw readings have expired keeps its entry (rollups outlive raw readings).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from bson import Binary
from pymongo import ReplaceOne

from telemetry import mongo
from telemetry.aggregates import combine, floor_to, windows_unpack
from telemetry.bucketcodec import chunks_unpack
from telemetry.buckets import BUCKET_SPAN_NS, minute_aggregates, moment, ns_of
from telemetry.documents import Bucket, RollupHour, RollupMinute
from telemetry.selectors.buckets import PLAN_FIELDS, buckets_fetch, merged, plan_chunks

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
NS_PER_SECOND = 1_000_000_000
ID_SLICE = 500


@dataclass(frozen=True)
class RollupResult:
    windows: int
    start: datetime
    end: datetime


def rollup_windows_store(document_class, windows: dict[tuple[int, str], dict[int, list]]) -> int:
    """Write `windows` ({(sensor, metric): {window start (s): [count, min, max, sum, at, last]}}), replacing
    the same windows' entries in their span documents and keeping the others; returns how many."""
    span = document_class.SPAN_SECONDS
    spans: dict[str, tuple[int, str, int, dict]] = {}
    for (sensor_id, metric), per_window in windows.items():
        for start, (n, low, high, total, _at, last) in per_window.items():
            base = start - start % span
            key = f"{sensor_id}:{metric}:{base}"
            spans.setdefault(key, (sensor_id, metric, base, {}))[3][start - base] = [n, low, high, total, last]
    if not spans:
        return 0
    collection = document_class._get_collection()
    keys = list(spans)
    # In slices: the wire server of development checks each candidate against the whole $in list.
    for start in range(0, len(keys), ID_SLICE):
        for existing in collection.find({"_id": {"$in": keys[start : start + ID_SLICE]}}):
            entries = spans[existing["_id"]][3]
            for offset, *rest in orjson.loads(memoryview(existing["w"])):
                entries.setdefault(offset, rest)
    operations = []
    for key, (sensor_id, metric, base, entries) in spans.items():
        packed = Binary(orjson.dumps([[offset, *entries[offset]] for offset in sorted(entries)]))
        document = {"_id": key, "s": sensor_id, "m": metric, "t": datetime.fromtimestamp(base, tz=UTC), "w": packed}
        operations.append(ReplaceOne({"_id": key}, document, upsert=True))
    collection.bulk_write(operations, ordered=False)
    return sum(len(per_window) for per_window in windows.values())


def rollup_minutes(*, start: datetime, end: datetime) -> RollupResult:
    """Recompute every minute window between `start` and `end` (widened to whole minutes) from the buckets."""
    start, end = floor_to(start, MINUTE), floor_to(end - timedelta(microseconds=1), MINUTE) + MINUTE
    start_ns, end_ns = ns_of(start), ns_of(end)
    mongo.connect()
    # By `t1` alone (its index): a bucket that starts before `end` ends within the hour after it.
    query = {"t1": {"$gte": start, "$lte": moment(end_ns + BUCKET_SPAN_NS)}}
    plan = [bucket for bucket in Bucket._get_collection().find(query, PLAN_FIELDS) if bucket["n0"] < end_ns]
    windows: dict[tuple[int, str], dict[int, list]] = {}
    for chunk in plan_chunks(plan):
        by_metric: dict[tuple[int, str], list] = {}
        for bucket in buckets_fetch([planned["_id"] for planned in chunk]):
            for series in chunks_unpack(bucket):
                by_metric.setdefault((bucket["s"], series.metric), []).append(series)
        for key, members in by_metric.items():
            minutes = windows.setdefault(key, {})
            for row in merged(members, start_ns, end_ns):
                for minute, _count, numbers, low, high, total, at, last in minute_aggregates(row.times, row.values):
                    if numbers:
                        minutes[minute] = combine(minutes.get(minute), numbers, low, high, total, at, last)
    return RollupResult(rollup_windows_store(RollupMinute, windows), start, end)


def rollup_hours(*, start: datetime, end: datetime) -> RollupResult:
    """Recompute every hour window between `start` and `end` (widened to whole hours) from minute rollups."""
    start, end = floor_to(start, HOUR), floor_to(end - timedelta(microseconds=1), HOUR) + HOUR
    mongo.connect()
    windows: dict[tuple[int, str], dict[int, list]] = {}
    for document in RollupMinute._get_collection().find({"t": {"$gte": start, "$lt": end}}):
        hour = int(document["t"].timestamp())
        hours = windows.setdefault((document["s"], document["m"]), {})
        for minute, n, low, high, total, last in windows_unpack(document):
            hours[hour] = combine(hours.get(hour), n, low, high, total, minute, last)
    return RollupResult(rollup_windows_store(RollupHour, windows), start, end)


def rollup_recent(*, now: datetime | None = None, lookback_minutes: int = 10) -> RollupResult:
    """The beat's minute pass: the closed minutes of the last `lookback_minutes`, so late readings count."""
    end = floor_to(now or datetime.now(UTC), MINUTE)
    return rollup_minutes(start=end - lookback_minutes * MINUTE, end=end)


def rollup_recent_hours(*, now: datetime | None = None, lookback_hours: int = 2) -> RollupResult:
    """The beat's hour pass: the closed hours of the last `lookback_hours`, from their minute rollups."""
    end = floor_to(now or datetime.now(UTC), HOUR)
    return rollup_hours(start=end - lookback_hours * HOUR, end=end)
