"""A sensor metric's time series in fixed-width buckets, read from the cheapest source that can answer."""

from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from itertools import repeat

from telemetry import mongo
from telemetry.aggregates import combine, floor_to, window_add, windows_add, windows_unpack
from telemetry.buckets import all_numbers, bson_sum, bson_sums, is_number, ns_of
from telemetry.documents import RollupHour, RollupMinute
from telemetry.selectors.buckets import buckets_between, merged, series_chunks
from telemetry.selectors.densewindows import numeric_windows

NS_PER_SECOND = 1_000_000_000


def _windows(times: list[int], values: list, step_ns: int, into: dict) -> None:
    """Add one series' sorted numeric readings to the per-window [count, min, max, sum, newest time, its value]."""
    if not times:
        return
    first = times[0] - times[0] % step_ns
    spans = (times[-1] - first) // step_ns + 1
    if spans > 2 * len(times):
        _sparse_windows(times, values, step_ns, into)
        return
    # Dense (an hour of readings every second at step=10): every window's bounds, slices and min, max
    # and sum by C functions mapped over them, and the windows built by zip: a Python statement per window
    # cost more than all the readings' arithmetic.
    ends = list(map(bisect_left, repeat(times, spans), range(first + step_ns, first + (spans + 1) * step_ns, step_ns)))
    starts = [0, *ends[:-1]]
    kept = [k for k in range(spans) if ends[k] > starts[k]]
    lasts = [ends[k] - 1 for k in kept]
    chunks = [values[starts[k] : ends[k]] for k in kept]
    aggregates = zip(
        map(len, chunks),
        map(min, chunks),
        map(max, chunks),
        bson_sums(chunks),
        map(times.__getitem__, lasts),
        map(values.__getitem__, lasts),
        strict=True,
    )
    windows_add(into, [first + k * step_ns for k in kept], aggregates)


def _sparse_windows(times: list[int], values: list, step_ns: int, into: dict) -> None:
    """_windows for readings further apart than the step: a window per run of readings, not per step."""
    start, count = 0, len(times)
    while start < count:
        window = times[start] - times[start] % step_ns
        end = bisect_left(times, window + step_ns, start, count)
        chunk = values[start:end]
        window_add(
            into, window, [end - start, min(chunk), max(chunk), bson_sum(chunk), times[end - 1], values[end - 1]]
        )
        start = end


def raw_series(sensor_id: int, metric: str, start: datetime, end: datetime, step_seconds: int) -> list[dict]:
    """series_read from the buckets themselves: every numeric reading of the metric, whatever its tags."""
    start_ns, end_ns, step_ns = ns_of(start), ns_of(end), step_seconds * NS_PER_SECOND
    with mongo.reachable():
        buckets = buckets_between(sensor_id, start_ns, end_ns)
    windows = numeric_windows(buckets, metric, start_ns, end_ns, step_ns)
    if windows is None:
        windows = _listed_windows(buckets, metric, start_ns, end_ns, step_ns)
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


def _listed_windows(buckets: list[dict], metric: str, start_ns: int, end_ns: int, step_ns: int) -> dict[int, list]:
    """numeric_windows for any readings: merged (last write wins) as lists, values that are not numbers left out."""
    windows: dict[int, list] = {}
    for row in merged(series_chunks(buckets, metric), start_ns, end_ns):
        times, values = row.times, row.values
        if not row.numeric and not all_numbers(values):
            numbers = [(t, value) for t, value in zip(times, values, strict=True) if is_number(value)]
            times, values = [t for t, _ in numbers], [value for _, value in numbers]
        _windows(times, values, step_ns, windows)
    return windows


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
    span = document.SPAN_SECONDS
    first, last = start.timestamp(), end.timestamp()
    # Each document spans an hour (minutes) or a day (hours): the one holding `start` starts before it.
    query = {"s": sensor_id, "m": metric, "t": {"$gte": floor_to(start, timedelta(seconds=span)), "$lt": end}}
    windows: dict[int, list] = {}
    with mongo.reachable():
        mongo.connect()
        for row in document._get_collection().find(query):
            for window, n, low, high, total, value in windows_unpack(row):
                if first <= window < last:
                    bucket = window - window % step_seconds
                    windows[bucket] = combine(windows.get(bucket), n, low, high, total, window, value)
    return [
        {
            "t": datetime.fromtimestamp(bucket, tz=UTC),
            "count": n,
            "min": low,
            "max": high,
            "mean": total / n,
            "last": value,
        }
        for bucket, (n, low, high, total, _at, value) in sorted(windows.items())
    ]
