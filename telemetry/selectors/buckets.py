"""Reading buckets back: find them through their summaries, then merge each series' readings, once each.

A reading is identified by (series, time, seq); buckets of one series overlap only when a reading was
sent again (or a batch was queued twice after a broker hiccup), and then the bucket of the later batch
id holds the value that counts (last write wins, telemetry.buckets). Buckets of a series that do not
overlap are simply laid end to end, which is what almost every read finds.
"""

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter

from telemetry import mongo
from telemetry.buckets import moment
from telemetry.documents import Bucket, BucketSummary

# Buckets fetched per query: large enough to amortise a round trip, small enough to bound memory.
FETCH_BUCKETS = 64
# A chunk of a streamed range holds about this many readings before it is sorted and handed on.
CHUNK_READINGS = 20_000


@dataclass(slots=True)
class SeriesRows:
    """One series' readings in a time range, merged: sorted by (time, seq), each identity once."""

    metric: str
    tags: dict
    times: list[int]
    values: list
    seqs: list[int]


def summaries_overlapping(sensor_id: int, start_ns: int, end_ns: int, metric: str | None = None) -> list[dict]:
    """Summaries of the sensor's buckets holding a reading in [start_ns, end_ns), in no particular order.

    The index narrows by the bucket's end (`t1` >= start, milliseconds, rounded down); the rest is
    exact, in ns, here.
    """
    query: dict = {"s": sensor_id, "t1": {"$gte": moment(start_ns)}, "t0": {"$lte": moment(end_ns)}}
    if metric is not None:
        query["m"] = metric
    mongo.connect()
    found = BucketSummary._get_collection().find(query)
    return [summary for summary in found if summary["n1"] >= start_ns and summary["n0"] < end_ns]


def buckets_fetch(ids: list[str]) -> list[dict]:
    """The buckets with these `_id`s (a summary's bucket may be missing for a moment: see writer)."""
    collection = Bucket._get_collection()
    found = []
    for start in range(0, len(ids), FETCH_BUCKETS):
        found += collection.find({"_id": {"$in": ids[start : start + FETCH_BUCKETS]}})
    return found


def merged(buckets: list[dict], start_ns: int | None = None, end_ns: int | None = None) -> list[SeriesRows]:
    """Each series' readings of `buckets` in [start_ns, end_ns), merged (last write wins on a repeat)."""
    by_series: dict[str, list[dict]] = {}
    for bucket in buckets:
        by_series.setdefault(bucket["k"], []).append(bucket)
    rows = []
    for members in by_series.values():
        members.sort(key=lambda bucket: bucket["ns"][0])
        overlapping = any(later["ns"][0] <= earlier["ns"][-1] for earlier, later in pairwise(members))
        times, values, seqs = _overlaid(members) if overlapping else _laid_end_to_end(members)
        if start_ns is not None:
            times, values, seqs = _within(times, values, seqs, start_ns, end_ns)
        if times:
            rows.append(SeriesRows(members[0]["m"], members[0].get("g") or {}, times, values, seqs))
    return rows


def _laid_end_to_end(members: list[dict]) -> tuple[list, list, list]:
    times, values, seqs = [], [], []
    for bucket in members:
        times += bucket["ns"]
        values += bucket["v"]
        seqs += bucket.get("q") or [0] * bucket["n"]
    return times, values, seqs


def _overlaid(members: list[dict]) -> tuple[list, list, list]:
    """Readings of overlapping buckets: for a repeated (time, seq), the value of the latest batch."""
    latest: dict[tuple[int, int], object] = {}
    for bucket in sorted(members, key=itemgetter("b")):
        seqs = bucket.get("q") or [0] * bucket["n"]
        latest.update(zip(zip(bucket["ns"], seqs, strict=True), bucket["v"], strict=True))
    keys = sorted(latest)
    return [key[0] for key in keys], [latest[key] for key in keys], [key[1] for key in keys]


def _within(times: list, values: list, seqs: list, start_ns: int, end_ns: int) -> tuple[list, list, list]:
    low, high = bisect_left(times, start_ns), bisect_left(times, end_ns)
    if low == 0 and high == len(times):
        return times, values, seqs
    return times[low:high], values[low:high], seqs[low:high]


def chunks(summaries: list[dict]) -> Iterator[list[dict]]:
    """Summaries in time order, cut where no earlier bucket reaches past the next one's first reading.

    Every reading of one chunk is then older than every reading of the next, so a range can be read
    chunk by chunk, each sorted on its own, in bounded memory.
    """
    ordered = sorted(summaries, key=itemgetter("n0"))
    chunk: list[dict] = []
    reach, readings = None, 0
    for summary in ordered:
        if chunk and readings >= CHUNK_READINGS and summary["n0"] > reach:
            yield chunk
            chunk, readings = [], 0
        chunk.append(summary)
        readings += summary["n"]
        reach = summary["n1"] if reach is None else max(reach, summary["n1"])
    if chunk:
        yield chunk
