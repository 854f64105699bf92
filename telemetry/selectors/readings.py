"""A sensor's raw readings: which metrics it sends, its newest values, and a time range for export."""

import heapq
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from operator import itemgetter

from telemetry import mongo
from telemetry.buckets import moment, ns_of
from telemetry.documents import Bucket, Series
from telemetry.selectors.buckets import (
    PLAN_FIELDS,
    buckets_fetch,
    buckets_planned,
    merged,
    plan_chunks,
    series_chunks,
)

# An export streams at most this many readings: a month of one reading a second is 2.6 million.
EXPORT_MAX_READINGS = 5_000_000
NS_PER_SECOND = 1_000_000_000
# Where the newest readings are looked for, nearest first: most sensors sent something in the last
# minutes, and each step reads only the buckets of its window (None: all of them).
NEWEST_WINDOWS_SECONDS = (600, 3_600, 86_400, 8 * 86_400, None)


def _reading(t_ns: int, metric: str, value, tags: dict) -> dict:
    return {"t": moment(t_ns), "ns": t_ns, "metric": metric, "value": value, "tags": tags}


def metrics_for_sensor(sensor_id: int) -> list[str]:
    """Every metric the sensor ever had readings of (its series documents), sorted."""
    with mongo.reachable():
        mongo.connect()
        return sorted(Series._get_collection().distinct("m", {"s": sensor_id}))


def _buckets_since(sensor_id: int, window_seconds: int | None, fields: dict | None = None) -> list[dict]:
    query: dict = {"s": sensor_id}
    if window_seconds is not None:
        query["t1"] = {"$gte": moment(time.time_ns() - window_seconds * NS_PER_SECOND)}
    mongo.connect()
    return list(Bucket._get_collection().find(query, fields))


def latest_readings(sensor_id: int, limit: int = 50) -> list[dict]:
    """The sensor's newest raw readings, newest first: `{"t", "ns", "metric", "value", "tags"}`."""
    limit = max(1, min(int(limit), 1000))
    with mongo.reachable():
        for window in NEWEST_WINDOWS_SECONDS:
            plan = _buckets_since(sensor_id, window, PLAN_FIELDS)
            if sum(bucket["n"] for bucket in plan) >= limit or window is None:
                break
        # The newest buckets that hold `limit` readings, and any other that reaches past the oldest of them.
        plan.sort(key=itemgetter("n1"), reverse=True)
        taken, readings = 0, 0
        while taken < len(plan) and readings < limit:
            readings += plan[taken]["n"]
            taken += 1
        floor = min((bucket["n0"] for bucket in plan[:taken]), default=0)
        rows = merged(series_chunks(buckets_fetch([bucket["_id"] for bucket in plan if bucket["n1"] >= floor])))
    newest = heapq.nlargest(
        limit,
        ((t, row.metric, value, row.tags) for row in rows for t, value in zip(row.times, row.values, strict=True)),
        key=itemgetter(0),
    )
    return [_reading(*reading) for reading in newest]


def last_values(sensor_ids: Iterable[int]) -> dict[int, dict]:
    """{sensor_id: {"metric", "value", "t"}} of each sensor's newest reading; sensors with none are left out.

    From the newest bucket of the nearest window that has any, per sensor: a list page of 100 sensors
    costs about 100 short indexed lookups, and one bucket's columns each.
    """
    found = {}
    with mongo.reachable():
        for sensor_id in dict.fromkeys(sensor_ids):
            for window in NEWEST_WINDOWS_SECONDS:
                plan = _buckets_since(sensor_id, window, PLAN_FIELDS)
                if plan:
                    newest = max(bucket["n1"] for bucket in plan)
                    ids = [bucket["_id"] for bucket in plan if bucket["n1"] == newest]
                    row = max(
                        (
                            (chunk.times[-1], chunk.batch, chunk.metric, chunk.values[-1])
                            for chunk in series_chunks(buckets_fetch(ids))
                        ),
                        key=itemgetter(0, 1),
                    )
                    found[sensor_id] = {"metric": row[2], "value": row[3], "t": moment(row[0])}
                    break
    return found


def readings_range(sensor_id: int, start: datetime, end: datetime, metric: str | None = None) -> Iterator[dict]:
    """Stream the sensor's readings in [start, end), oldest first, at most EXPORT_MAX_READINGS of them.

    Chunk by chunk of buckets (selectors.buckets.plan_chunks), so memory stays bounded however long the
    range. MongoDB errors surface while iterating, as MongoUnavailable when the server is down.
    """
    start_ns, end_ns = ns_of(start), ns_of(end)
    sent = 0
    with mongo.reachable():
        plan = buckets_planned(sensor_id, start_ns, end_ns)
        for chunk in plan_chunks(plan):
            rows = merged(series_chunks(buckets_fetch([bucket["_id"] for bucket in chunk]), metric), start_ns, end_ns)
            readings = sorted(
                (
                    (t, row.metric, value, row.tags)
                    for row in rows
                    for t, value in zip(row.times, row.values, strict=True)
                ),
                key=itemgetter(0, 1),
            )
            for reading in readings:
                if sent >= EXPORT_MAX_READINGS:
                    return
                sent += 1
                yield _reading(*reading)
