"""Readings queued as columns: the compact form of a parsed plain body, and the worker's check of it.

An HTTP endpoint parses a plain body (telemetry.ingest.plainforward) and queues it as one entry per
head (measurement and tags) of a sensor: [sensor id, tags or null, times, [[metric, values], ...]];
checked readings (JSON ingest, readings_enqueue) go as an entry per series, with their seqs as a fifth
item when any is not 0;
the times as the first one then the difference to each next (a batch's timestamps mostly step by a
constant, so they cost a few characters each, not 19), shared by the head's metrics. That is a fifth of
the bytes of a list of times per series, and every byte of a task is encoded, copied into the broker
twice (the queue, then kombu's record of unacknowledged tasks) and decoded again.

The worker checks each entry's shape as it checks a reading's (telemetry.services.deadletters), a
column at a time, and dead-letters a malformed entry with its reason while the others are stored: a
damaged task must cost its bad entries, not the batch.
"""

import math
from itertools import accumulate
from operator import sub

from telemetry.buckets import INT64_MAX, INT64_MIN, SeriesBatch
from telemetry.readings import MAX_METRIC_CHARS, ReadingRejected, reading_make
from telemetry.services.deadletters import MAX_REASON_CHARS, deadletter_record, tags_plain
from telemetry.services.writer import series_batch_store

ENTRY_FIELDS = 4


def times_packed(times: list[int]) -> list[int]:
    """The first time, then each time's difference to the one before."""
    return [times[0], *map(sub, times[1:], times)]


def columns_entries(sensor_id: int, series: list[tuple[str, dict, list[int], list]]) -> list[list]:
    """The queued form of (metric, tags, times, values) series; series sharing a times list share an entry."""
    entries: dict[int, list] = {}
    for metric, tags, times, values in series:
        entry = entries.get(id(times))
        if entry is None:
            entry = entries[id(times)] = [sensor_id, tags or None, times_packed(times), []]
        entry[3].append([metric, values])
    return list(entries.values())


def readings_entries(readings: list[list]) -> list[list]:
    """The queued form of checked wire-form readings (telemetry.readings): an entry per series, in order.

    An entry of readings with seqs carries them as a fifth item. Raises TypeError, ValueError or
    AttributeError for a reading that is not one.
    """
    batch = SeriesBatch()
    batch.add_readings(readings)
    entries = []
    for series in batch.series.values():
        entry = [series.sensor_id, series.tags, times_packed(series.times), [[series.metric, series.values]]]
        if series.seqs is not None:  # Series keeps seqs only once one is not 0
            entry.append(series.seqs)
        entries.append(entry)
    return entries


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


def _check_seqs(seqs, count: int) -> list[int] | None:
    if seqs is None:
        return None
    if type(seqs) is not list or len(seqs) != count or set(map(type, seqs)) != {int}:
        raise ReadingRejected("seqs must be one integer per time")
    if min(seqs) < 0 or max(seqs) > INT64_MAX:
        raise ReadingRejected("seq must be an integer from 0 to 2^63-1")
    return seqs


def entry_check(entry) -> tuple[int, dict | None, list[int], list[tuple[str, list]], list[int] | None]:
    """One queued entry, checked: (sensor id, tags, times, [(metric, values), ...], seqs or None), or
    ReadingRejected."""
    if type(entry) is not list or not ENTRY_FIELDS <= len(entry) <= ENTRY_FIELDS + 1:
        raise ReadingRejected(f"an entry must be a list of {ENTRY_FIELDS} items (and seqs)")
    sensor_id, tags, packed, metrics = entry[:ENTRY_FIELDS]
    if type(sensor_id) is not int or not 0 < sensor_id <= INT64_MAX:
        raise ReadingRejected("sensor must be a positive integer")
    if tags is not None and not tags_plain(tags):
        raise ReadingRejected("tags must be an object of short strings, no name starting with $")
    if type(packed) is not list or not packed or set(map(type, packed)) != {int}:
        raise ReadingRejected("times must be a non-empty list of integers")
    times = list(accumulate(packed))
    if min(times) < INT64_MIN or max(times) > INT64_MAX:
        raise ReadingRejected("times must be int64 numbers of nanoseconds")
    if type(metrics) is not list or not metrics:
        raise ReadingRejected("an entry must hold at least one metric")
    checked = []
    for item in metrics:
        if type(item) is not list or len(item) != 2:
            raise ReadingRejected("each metric must be [name, values]")
        metric, values = item
        if type(metric) is not str or not 0 < len(metric) <= MAX_METRIC_CHARS or not metric.isprintable():
            raise ReadingRejected(f"metric must be a string of 1 to {MAX_METRIC_CHARS} printable characters")
        if type(values) is not list or len(values) != len(times):
            raise ReadingRejected("each metric needs one value per time")
        _check_column(values)
        checked.append((metric, values))
    return (
        sensor_id,
        tags or None,
        times,
        checked,
        _check_seqs(entry[ENTRY_FIELDS] if len(entry) > ENTRY_FIELDS else None, len(times)),
    )


def columns_store(entries, *, batch_id: str, task_id: str = "") -> int:
    """Store the well-formed entries under `batch_id`, dead-letter the rest; return how many readings were inserted."""
    batch = SeriesBatch()
    bad, reasons = [], []
    for entry in entries if type(entries) is list else [entries]:
        try:
            sensor_id, tags, times, metrics, seqs = entry_check(entry)
        except ReadingRejected as exc:
            bad.append(entry)
            reasons.append(str(exc)[:MAX_REASON_CHARS])
            continue
        for metric, values in metrics:
            batch.series_for(sensor_id, metric, tags).extend(times, values, seqs)
            batch.count += len(times)
    if bad:
        reason = f"{len(bad)} malformed entries: {reasons[0]}"
        deadletter_record(readings=bad, reason=reason, reasons=reasons, task_id=task_id)
    return series_batch_store(batch, batch_id=batch_id).inserted if batch.count else 0
