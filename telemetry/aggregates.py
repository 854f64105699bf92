"""Aggregates of numeric readings over time windows: how they combine, and how rollup documents hold them.

A window's aggregate is [count, min, max, sum, time of its newest value, that value]: counts and sums
add up, minima and maxima compose, the newest value wins, so windows combine exactly into larger ones.
"""

from datetime import UTC, datetime, timedelta

import orjson

from telemetry.buckets import bson_sum


def floor_to(moment: datetime, width: timedelta) -> datetime:
    """The start of the `width`-wide window (minute, hour, day: UTC) holding `moment`."""
    seconds = int(width.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def combine(found: list | None, n: int, low, high, total, at: int, last) -> list:
    """[count, min, max, sum, time of last, last] of one window, with one more aggregate added."""
    if found is None:
        return [n, low, high, total, at, last]
    found[0] += n
    found[1], found[2], found[3] = min(found[1], low), max(found[2], high), bson_sum((found[3], total))
    if at >= found[4]:
        found[4], found[5] = at, last
    return found


def window_add(into: dict, window: int, aggregate: list) -> None:
    """Add one series' aggregate of a window to `into`, combined with another series' (other tags) if there."""
    found = into.get(window)
    if found is None:
        into[window] = aggregate
    else:
        combine(found, *aggregate)


def windows_add(into: dict, windows: list[int], aggregates) -> None:
    """Add one series' windows (starts, and their aggregates as tuples) to `into`. The metric's first series
    fills an empty `into` by zip: a Python statement per window cost more than the readings' arithmetic."""
    if not into:
        into.update(zip(windows, map(list, aggregates), strict=True))
        return
    for window, aggregate in zip(windows, aggregates, strict=True):
        window_add(into, window, list(aggregate))


def windows_unpack(document: dict) -> list[list]:
    """A rollup document's windows (telemetry.documents._Rollup): [start (epoch s), count, min, max, sum,
    last], oldest first."""
    base = int(document["t"].timestamp())
    return [[base + offset, *rest] for offset, *rest in orjson.loads(memoryview(document["w"]))]
