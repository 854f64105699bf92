"""Bucketed storage of readings: series identity, batch ids, and the documents a batch becomes.

A series is one (sensor, metric, tags). A worker turns each batch into buckets: one document per
sensor and hour of the batch (at most MAX_BUCKET_READINGS readings, more parts beyond), holding each of
that sensor's series as parallel columns (times in ns, values, seqs) packed as binary
(telemetry.bucketcodec). A bucket never spans an hour, so it outlives the retention of its oldest
reading by at most an hour. Each new series also gets a `series` document, once.

Identity and exactly-once: every batch gets an id before it is published (batch_id_new: the time it
was accepted, in hex, then random bits), and a bucket's `_id` is (batch id, sensor, part), the part
numbered in an order derived from the batch's content. A batch delivered twice therefore inserts
nothing twice.

Last write wins: a reading is identified by (series, time, seq). Two readings with the same identity
in one batch keep the later one; in different batches, the one of the later batch id (the later
request). Readers merge overlapping stretches of a series by that rule (telemetry.selectors.buckets),
so a reading a sensor sends again shows once, with its newest value, as in InfluxDB.
"""

import hashlib
import secrets
import time
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from operator import lt

import orjson

from telemetry.bucketcodec import columns_pack

MAX_BUCKET_READINGS = 20_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NS_PER_MS = 1_000_000
NS_PER_MINUTE = 60 * 1_000_000_000
BUCKET_SPAN_NS = 3600 * 1_000_000_000
# A batch id sorts by acceptance time: 16 hex digits of nanoseconds since the epoch, then 8 random ones.
BATCH_ID_CHARS = 24
# Buckets converted from the per-reading documents of before (manage.py telemetry_migrate_buckets) lose
# to any batch written since: their batch ids sort before every real one.
MIGRATED_BATCH_PREFIX = "0" * 16
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def batch_id_new(now_ns: int | None = None) -> str:
    """A fresh batch id: later batches sort after earlier ones (last write wins goes by it)."""
    return f"{time.time_ns() if now_ns is None else now_ns:016x}{secrets.token_hex(4)}"


def batch_id_of_task(task_id: str) -> str:
    """The batch id of a task published without one (by a version before buckets): its Celery task id.

    It is stable across redeliveries and retries. It sorts before every time-based id, so it never
    wins a tie against a batch written since.
    """
    return "0" + task_id


def tags_canonical(tags: dict | None) -> bytes:
    """The tags in one canonical form (sorted keys), so {"a","b"} and {"b","a"} are one series."""
    return orjson.dumps(tags, option=orjson.OPT_SORT_KEYS) if tags else b""


def series_digest(sensor_id: int, metric: str, canonical_tags: bytes) -> str:
    """24 hex digits naming a series; part of bucket `_id`s and the `_id` of its series document."""
    key = b"%d\x00%s\x00%s" % (sensor_id, metric.encode(), canonical_tags)
    return hashlib.blake2b(key, digest_size=12).hexdigest()


def moment(ns: int) -> datetime:
    """A BSON date (milliseconds, rounded down) for a time in ns."""
    return datetime.fromtimestamp(ns // NS_PER_MS / 1000, tz=UTC)


def ns_of(when: datetime) -> int:
    """A timezone-aware datetime in ns since the epoch, exactly (no float on the way)."""
    return (when - EPOCH) // MICROSECOND * 1000


def is_number(value) -> bool:
    kind = type(value)
    return kind is float or kind is int


NUMBER_TYPES = frozenset((float, int))


def all_numbers(values: list) -> bool:
    """Whether every value is a number (not a bool): the types as a set, a fifth of a call per value."""
    return set(map(type, values)) <= NUMBER_TYPES


class Series:
    """One series' readings of a batch, in the order they came (columns, not a list per reading)."""

    __slots__ = ("digest", "metric", "sensor_id", "seqs", "tags", "times", "values")

    def __init__(self, sensor_id: int, metric: str, tags: dict | None, digest: str) -> None:
        self.sensor_id, self.metric, self.tags, self.digest = sensor_id, metric, tags or None, digest
        self.times: list[int] = []
        self.values: list = []
        self.seqs: list[int] | None = None  # None while every seq is 0, the line-protocol case

    def add(self, ts_ns: int, value, seq: int = 0) -> None:
        if seq and self.seqs is None:
            self.seqs = [0] * len(self.times)
        self.times.append(ts_ns)
        self.values.append(value)
        if self.seqs is not None:
            self.seqs.append(seq)

    def extend(self, times: list[int], values: list, seqs: list[int] | None = None) -> None:
        """Readings already as columns; seqs None means all 0 (line protocol)."""
        if seqs is not None and self.seqs is None:
            self.seqs = [0] * len(self.times)
        self.times += times
        self.values += values
        if self.seqs is not None:
            self.seqs += [0] * len(times) if seqs is None else seqs

    def ordered(self) -> tuple[list[int], list, list[int] | None]:
        """(times, values, seqs) sorted by (time, seq), one reading per (time, seq): the later one wins."""
        times, values, seqs = self.times, self.values, self.seqs
        if seqs is None and all(map(lt, times, times[1:])):
            return times, values, None  # the usual case: a sensor's readings in time order
        keys = list(zip(times, seqs or [0] * len(times), strict=True))
        # Stable sort, then keep the last of each run of equal keys: the reading that came later.
        order = sorted(range(len(keys)), key=keys.__getitem__)
        kept = [i for n, i in enumerate(order) if n + 1 == len(order) or keys[order[n + 1]] != keys[i]]
        return (
            [times[i] for i in kept],
            [values[i] for i in kept],
            None if seqs is None else [seqs[i] for i in kept],
        )


class SeriesBatch:
    """A batch's readings grouped by series, ready to become bucket documents."""

    def __init__(self) -> None:
        self.series: dict[tuple, Series] = {}
        self.count = 0

    def series_for(self, sensor_id: int, metric: str, tags: dict | None) -> Series:
        canonical = tags_canonical(tags)
        key = (sensor_id, metric, canonical)
        found = self.series.get(key)
        if found is None:
            found = self.series[key] = Series(sensor_id, metric, tags, series_digest(sensor_id, metric, canonical))
        return found

    def add(self, sensor_id: int, metric: str, ts_ns: int, value, seq: int = 0, tags: dict | None = None) -> None:
        self.series_for(sensor_id, metric, tags).add(ts_ns, value, seq)
        self.count += 1

    def add_readings(self, readings: list[list]) -> None:
        """Wire-form readings (telemetry.readings), already checked."""
        for sensor_id, metric, ts_ns, value, seq, tags in readings:
            self.series_for(sensor_id, metric, tags).add(ts_ns, value, seq)
        self.count += len(readings)

    def sensor_ids(self) -> set[int]:
        return {series.sensor_id for series in self.series.values()}

    def documents(self, batch_id: str) -> tuple[list[dict], list[dict]]:
        """(buckets, series documents) for this batch, each with its derived `_id`."""
        hours: dict[tuple[int, int], list[tuple]] = {}
        series_docs = []
        for series in self.series.values():
            times, values, seqs = series.ordered()
            head = {"s": series.sensor_id, "m": series.metric}
            series_docs.append(
                {"_id": series.digest, **head, "g": series.tags} if series.tags else {"_id": series.digest, **head}
            )
            for start, end in _parts(times):
                member = (series.digest, series.metric, series.tags, times[start:end], values[start:end])
                member += (None if seqs is None else seqs[start:end],)
                hours.setdefault((series.sensor_id, times[start] // BUCKET_SPAN_NS), []).append(member)
        buckets, parts = [], dict.fromkeys((sensor_id for sensor_id, _hour in hours), 0)
        for (sensor_id, _hour), members in sorted(hours.items()):
            for group in _groups(members):
                part = parts[sensor_id]
                parts[sensor_id] += 1
                first, last = min(member[3][0] for member in group), max(member[3][-1] for member in group)
                bucket = {"_id": f"{batch_id}:{sensor_id}:{part}", "s": sensor_id, "b": batch_id}
                bucket.update(t0=moment(first), t1=moment(last), n0=first, n1=last)
                bucket["n"] = sum(len(member[3]) for member in group)
                bucket.update(columns_pack(group))
                buckets.append(bucket)
        return buckets, series_docs


def _groups(members: list[tuple]) -> list[list[tuple]]:
    """Members (whole series, each at most MAX_BUCKET_READINGS) in groups of at most that many readings."""
    groups, current, size = [], [], 0
    for member in members:
        if current and size + len(member[3]) > MAX_BUCKET_READINGS:
            groups.append(current)
            current, size = [], 0
        current.append(member)
        size += len(member[3])
    return [*groups, current] if current else groups


def _parts(times: list[int]):
    """(start, end) slices of sorted `times`: at most MAX_BUCKET_READINGS each, none across an hour."""
    start, count = 0, len(times)
    while start < count:
        hour_end = (times[start] // BUCKET_SPAN_NS + 1) * BUCKET_SPAN_NS
        limit = min(start + MAX_BUCKET_READINGS, count)
        end = bisect_left(times, hour_end, start, limit) if times[limit - 1] >= hour_end else limit
        yield start, end
        start = end


def bson_sum(numbers) -> int | float:
    """The sum, as a float when integers add up beyond what BSON's int64 holds (MongoDB's $sum does too)."""
    return bson_number(sum(numbers))


def bson_number(total: int | float) -> int | float:
    """A sum as BSON holds it: a float when an integer is beyond int64."""
    return float(total) if type(total) is int and not INT64_MIN <= total <= INT64_MAX else total


def bson_sums(chunks) -> list:
    """bson_sum of each chunk; the int64 check only when some sum is an integer (a float sum needs none)."""
    totals = list(map(sum, chunks))
    return list(map(bson_number, totals)) if int in set(map(type, totals)) else totals


def minute_aggregates(times: list[int], values: list) -> list[list]:
    """Per minute of sorted `times`: [minute start (s), readings, numeric readings, min, max, sum, newest
    numeric value's time (ns), that value]; min to value are None in a minute without numbers.

    Minute rollups add these up across buckets (telemetry.services.rollups), reading a summary
    instead of the bucket's arrays.
    """
    aggregates = []
    start, count = 0, len(times)
    every_number = all_numbers(values)
    while start < count:
        minute = times[start] // NS_PER_MINUTE
        end = bisect_left(times, (minute + 1) * NS_PER_MINUTE, start, count)
        chunk = values[start:end]
        if every_number:
            numbers, last_at = chunk, end - 1
        else:
            positions = [i for i in range(start, end) if is_number(values[i])]
            numbers = [values[i] for i in positions]
            last_at = positions[-1] if positions else None
        if numbers:
            low, high, total = min(numbers), max(numbers), bson_sum(numbers)
            aggregates.append(
                [minute * 60, end - start, len(numbers), low, high, total, times[last_at], values[last_at]]
            )
        else:
            aggregates.append([minute * 60, end - start, 0, None, None, None, None, None])
        start = end
    return aggregates
