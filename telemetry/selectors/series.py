"""A sensor metric's time series in fixed-width buckets, read from the cheapest source that can answer."""

from bisect import bisect_left
from datetime import UTC, datetime

from telemetry import mongo
from telemetry.buckets import bson_sum, is_number, ns_of
from telemetry.documents import RollupHour, RollupMinute
from telemetry.selectors.buckets import buckets_between, merged, series_chunks

NS_PER_SECOND = 1_000_000_000


# Rollups compose exactly: counts and sums add up, min of mins, max of maxes, last of lasts.
ROLLUP_ACCUMULATORS = {
    "n": {"$sum": "$n"},
    "sum": {"$sum": "$sum"},
    "min": {"$min": "$min"},
    "max": {"$max": "$max"},
    "last": {"$last": "$last"},
}


def _windows(times: list[int], values: list, step_ns: int, into: dict) -> None:
    """Add one series' sorted numeric readings to the per-window [count, min, max, sum, newest time, its value]."""
    start, count = 0, len(times)
    while start < count:
        window = times[start] - times[start] % step_ns
        end = bisect_left(times, window + step_ns, start, count)
        chunk = values[start:end]
        low, high, total = min(chunk), max(chunk), bson_sum(chunk)
        found = into.get(window)
        if found is None:
            into[window] = [end - start, low, high, total, times[end - 1], values[end - 1]]
        else:
            found[0] += end - start
            found[1], found[2], found[3] = min(found[1], low), max(found[2], high), bson_sum((found[3], total))
            if times[end - 1] >= found[4]:
                found[4], found[5] = times[end - 1], values[end - 1]
        start = end


def raw_series(sensor_id: int, metric: str, start: datetime, end: datetime, step_seconds: int) -> list[dict]:
    """series_read from the buckets themselves: every numeric reading of the metric, whatever its tags."""
    start_ns, end_ns, step_ns = ns_of(start), ns_of(end), step_seconds * NS_PER_SECOND
    with mongo.reachable():
        rows = merged(series_chunks(buckets_between(sensor_id, start_ns, end_ns), metric), start_ns, end_ns)
    windows: dict[int, list] = {}
    for row in rows:
        times, values = row.times, row.values
        if not all(map(is_number, values)):
            numbers = [(t, value) for t, value in zip(times, values, strict=True) if is_number(value)]
            times, values = [t for t, _ in numbers], [value for _, value in numbers]
        _windows(times, values, step_ns, windows)
    return [
        {
            "t": datetime.fromtimestamp(window // NS_PER_SECOND, tz=UTC),
            "count": n,
            "min": low,
            "max": high,
            "mean": total / n,
            "last": last,
        }
        for window, (n, low, high, total, _at, last) in sorted(windows.items())
    ]


def series_read(sensor_id: int, metric: str, start: datetime, end: datetime, step_seconds: int) -> list[dict]:
    """Buckets `{"t", "count", "min", "max", "mean", "last"}` of [start, end), oldest first, empty ones left out.

    Buckets start at multiples of `step_seconds` since the epoch, so the same step always gives the
    same buckets. From rollups, a whole window falls in the bucket its start falls in; rollups trail
    the newest readings by a minute or two (the beat schedule), raw readings do not.
    """
    if step_seconds < 1:
        raise ValueError("step_seconds must be at least 1")
    if step_seconds < 60:
        return raw_series(sensor_id, metric, start, end, step_seconds)
    document = RollupHour if step_seconds >= 3600 else RollupMinute
    step_ms = step_seconds * 1000
    millis = {"$toLong": "$t"}
    pipeline = [
        {"$match": {"s": sensor_id, "m": metric, "t": {"$gte": start, "$lt": end}}},
        {"$sort": {"t": 1}},
        {"$group": {"_id": {"$subtract": [millis, {"$mod": [millis, step_ms]}]}, **ROLLUP_ACCUMULATORS}},
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
