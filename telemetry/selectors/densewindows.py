"""The series API's windows of numeric readings, computed on the buckets' packed columns with numpy.

A bucket packs each series' times and values as little-endian int64 and float64/int64 columns
(telemetry.bucketcodec). For the raw series read (step under a minute) this module reads those bytes as
arrays without making a Python object per reading, lays a series' stretches end to end, and computes every
window's count, min, max, sum and newest reading with numpy's segment reductions. At an hour of readings
every 0.26 s the per-reading lists and a Python step per window took longer than the database's answer
(README Performance, telemetry_series_scale).

It answers only what it answers exactly as the list path (telemetry.selectors.series) would: every series of
the metric numeric, of one kind (all floats or all integers) and with stretches that do not overlap (a
re-sent reading: last write wins, which the list path merges). Otherwise `numeric_windows` returns None and
the caller takes the list path. A window's float sum is numpy's (pairwise), which can differ from Python's
compensated `sum` in the last bit; integer sums are exact, and a window whose integers could pass int64
sends the whole read down the list path.
"""

from itertools import pairwise

import numpy as np
import orjson

from telemetry.aggregates import windows_add
from telemetry.bucketcodec import series_layout
from telemetry.buckets import INT64_MAX

KINDS = {"d": "<f8", "q": "<i8"}


def _stretches(buckets: list[dict], metric: str) -> dict[str, list[tuple]] | None:
    """Per series digest: (kind, times, values) of each bucket's stretch of `metric`; None if any is not numeric."""
    found: dict[str, list[tuple]] = {}
    for bucket in buckets:
        table = orjson.loads(memoryview(bucket["sx"]))
        if not any(series_metric == metric for _, series_metric, *_ in table):
            continue
        times = np.frombuffer(bucket["ns"], dtype="<i8")
        columns = {
            kind: np.frombuffer(bucket[field], dtype=KINDS[kind])
            for kind, field in (("d", "vd"), ("q", "vq"))
            if field in bucket
        }
        for digest, series_metric, _tags, count, kind, position, start in series_layout(table):
            if series_metric == metric:
                if kind not in KINDS:
                    return None
                stretch = (kind, times[position : position + count], columns[kind][start : start + count])
                found.setdefault(digest, []).append(stretch)
    return found


def _series(stretches: list[tuple], start_ns: int, end_ns: int) -> tuple | None:
    """One series' (times, values) in [start_ns, end_ns), or None when its stretches overlap or mix kinds."""
    if len({kind for kind, _, _ in stretches}) > 1:
        return None
    stretches = sorted(stretches, key=lambda stretch: int(stretch[1][0]))
    for (_, earlier, _), (_, later, _) in pairwise(stretches):
        if later[0] <= earlier[-1]:
            return None
    times = np.concatenate([times for _, times, _ in stretches])
    values = np.concatenate([values for _, _, values in stretches])
    low, high = np.searchsorted(times, [start_ns, end_ns])
    return times[low:high], values[low:high]


def _add_windows(times, values, step_ns: int, into: dict) -> bool:
    """Add one series' windows to `into` ([count, min, max, sum, newest time, its value]); False if int64 could
    overflow in a sum."""
    # Python ints, not numpy's: abs() of int64's minimum is itself, negative, in numpy.
    if values.dtype.kind == "i" and max(-int(values.min()), int(values.max())) * len(values) > INT64_MAX:
        return False
    first = int(times[0]) - int(times[0]) % step_ns
    index = (times - first) // step_ns
    starts = np.flatnonzero(np.diff(index)) + 1
    starts = np.concatenate(([0], starts))
    lasts = np.concatenate((starts[1:], [len(times)])) - 1
    aggregates = zip(
        (lasts - starts + 1).tolist(),
        np.minimum.reduceat(values, starts).tolist(),
        np.maximum.reduceat(values, starts).tolist(),
        np.add.reduceat(values, starts).tolist(),
        times[lasts].tolist(),
        values[lasts].tolist(),
        strict=True,
    )
    windows_add(into, (first + index[starts] * step_ns).tolist(), aggregates)
    return True


def numeric_windows(buckets: list[dict], metric: str, start_ns: int, end_ns: int, step_ns: int) -> dict | None:
    """{window start (ns): [count, min, max, sum, newest time, its value]} of `metric`'s readings in
    [start_ns, end_ns), or None when the list path must answer (see the module's docstring)."""
    by_series = _stretches(buckets, metric)
    if by_series is None:
        return None
    windows: dict[int, list] = {}
    for stretches in by_series.values():
        series = _series(stretches, start_ns, end_ns)
        if series is None:
            return None
        times, values = series
        if len(times) and not _add_windows(times, values, step_ns, windows):
            return None
    return windows
