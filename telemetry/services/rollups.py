"""Minute and hour aggregates (count, min, max, sum, mean, last) per sensor and numeric metric, recomputable.

Minutes are computed from the buckets' summaries, which carry each bucket's per-minute aggregates
(telemetry.buckets.minute_aggregates): a pass reads those small documents, not the readings. Where
two buckets of one series overlap (a reading sent again: last write wins), that sensor's metric is
computed from the merged readings instead, so a repeated reading counts once. Hours are computed from
minute rollups: counts, sums, minima, maxima and last values of minutes compose exactly into hours.
Booleans and strings are skipped: they have no min, max or mean. Each window's `_id` is
"sensor:metric:window_start_epoch", written with a replacing upsert, so running a window again (a
backfill, a late reading, two beat runs at once) leaves the same result.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from operator import itemgetter

from pymongo import ReplaceOne

from telemetry import mongo
from telemetry.buckets import bson_sum, minute_aggregates, moment, ns_of
from telemetry.documents import BucketSummary, RollupHour, RollupMinute
from telemetry.selectors.buckets import buckets_fetch, merged

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


def _overlapping(summaries: list[dict]) -> bool:
    """True when two buckets of one series share a stretch of time (so they may repeat a reading)."""
    by_series: dict[str, list[dict]] = {}
    for summary in summaries:
        by_series.setdefault(summary["k"], []).append(summary)
    for members in by_series.values():
        members.sort(key=itemgetter("n0"))
        if any(later["n0"] <= earlier["n1"] for earlier, later in pairwise(members)):
            return True
    return False


def _minute_entries(summaries: list[dict], start_ns: int, end_ns: int) -> list[list]:
    """Per-minute aggregates of these buckets (one sensor's metric), each reading counted once."""
    if not _overlapping(summaries):
        return [entry for summary in summaries for entry in summary["r"]]
    rows = merged(buckets_fetch([summary["_id"] for summary in summaries]), start_ns, end_ns)
    return [entry for row in rows for entry in minute_aggregates(row.times, row.values)]


def _combined(sensor_id: int, metric: str, entries: list[list], start_s: int, end_s: int) -> list[dict]:
    """The rollup rows (as _aggregate returns them) of minutes in [start_s, end_s) from per-bucket entries."""
    minutes: dict[int, list] = {}
    for minute, _count, numbers, low, high, total, at, last in entries:
        if not numbers or not start_s <= minute < end_s:
            continue
        found = minutes.get(minute)
        if found is None:
            minutes[minute] = [numbers, low, high, total, at, last]
            continue
        found[0] += numbers
        found[1], found[2], found[3] = min(found[1], low), max(found[2], high), bson_sum((found[3], total))
        if at >= found[4]:
            found[4], found[5] = at, last
    return [
        {"_id": {"s": sensor_id, "m": metric, "w": datetime.fromtimestamp(minute, tz=UTC)}, "n": n}
        | {"min": low, "max": high, "sum": total, "last": last}
        for minute, (n, low, high, total, _at, last) in minutes.items()
    ]


def rollup_minutes(*, start: datetime, end: datetime) -> RollupResult:
    """Recompute every minute window between `start` and `end` (widened to whole minutes) from the buckets."""
    start, end = floor_to(start, MINUTE), floor_to(end - timedelta(microseconds=1), MINUTE) + MINUTE
    start_ns, end_ns = ns_of(start), ns_of(end)
    mongo.connect()
    found = BucketSummary._get_collection().find({"t1": {"$gte": start}, "t0": {"$lt": moment(end_ns)}})
    groups: dict[tuple, list[dict]] = {}
    for summary in found:
        if summary["n1"] >= start_ns and summary["n0"] < end_ns:
            groups.setdefault((summary["s"], summary["m"]), []).append(summary)
    rows = []
    for (sensor_id, metric), summaries in groups.items():
        entries = _minute_entries(summaries, start_ns, end_ns)
        rows += _combined(sensor_id, metric, entries, start_ns // NS_PER_SECOND, end_ns // NS_PER_SECOND)
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
