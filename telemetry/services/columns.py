"""The worker's side of readings queued as columns: check each series' shape, store the good, keep the rest.

An HTTP endpoint parses a plain body (telemetry.ingest.plainforward) and queues it as series of
[sensor id, metric, tags or null, times, values]. The worker checks each series' shape as it checks a
reading's (telemetry.services.deadletters), a column at a time, and dead-letters a malformed series
with its reason while the others are stored: a damaged task must cost its bad series, not the batch.
"""

import math

from telemetry.buckets import INT64_MAX, INT64_MIN, SeriesBatch
from telemetry.readings import MAX_METRIC_CHARS, ReadingRejected, reading_make
from telemetry.services.deadletters import MAX_REASON_CHARS, deadletter_record, tags_plain
from telemetry.services.writer import series_batch_store

SERIES_FIELDS = 5


def _check_column(values: list) -> None:
    kinds = set(map(type, values))
    if kinds == {float}:
        if not (math.isfinite(min(values)) and math.isfinite(max(values))):
            raise ReadingRejected("value must be a finite number")
    elif kinds == {int}:
        if min(values) < INT64_MIN or max(values) > INT64_MAX:
            raise ReadingRejected("integer value out of int64 range")
    else:
        for value in values:  # booleans, strings or a mix: one reading's rules at a time
            reading_make(1, "m", 0, value, 0, None, now=0)


def series_check(series) -> tuple[int, str, dict | None, list[int], list]:
    """One series as queued, checked: (sensor id, metric, tags, times, values), or ReadingRejected."""
    if type(series) is not list or len(series) != SERIES_FIELDS:
        raise ReadingRejected(f"a series must be a list of {SERIES_FIELDS} items")
    sensor_id, metric, tags, times, values = series
    if type(sensor_id) is not int or not 0 < sensor_id <= INT64_MAX:
        raise ReadingRejected("sensor must be a positive integer")
    if type(metric) is not str or not 0 < len(metric) <= MAX_METRIC_CHARS or not metric.isprintable():
        raise ReadingRejected(f"metric must be a string of 1 to {MAX_METRIC_CHARS} printable characters")
    if tags is not None and not tags_plain(tags):
        raise ReadingRejected("tags must be an object of short strings, no name starting with $")
    if type(times) is not list or type(values) is not list or not times or len(times) != len(values):
        raise ReadingRejected("times and values must be lists of the same, non-zero length")
    if set(map(type, times)) != {int} or min(times) < INT64_MIN or max(times) > INT64_MAX:
        raise ReadingRejected("times must be int64 numbers of nanoseconds")
    _check_column(values)
    return sensor_id, metric, tags or None, times, values


def columns_store(series_list, *, batch_id: str, task_id: str = "") -> int:
    """Store the well-formed series under `batch_id`, dead-letter the rest; return how many readings were inserted."""
    batch = SeriesBatch()
    bad, reasons = [], []
    for series in series_list if type(series_list) is list else [series_list]:
        try:
            sensor_id, metric, tags, times, values = series_check(series)
        except ReadingRejected as exc:
            bad.append(series)
            reasons.append(str(exc)[:MAX_REASON_CHARS])
            continue
        batch.series_for(sensor_id, metric, tags).extend(times, values)
        batch.count += len(times)
    if bad:
        reason = f"{len(bad)} malformed series: {reasons[0]}"
        deadletter_record(readings=bad, reason=reason, reasons=reasons, task_id=task_id)
    return series_batch_store(batch, batch_id=batch_id).inserted if batch.count else 0
