"""Reading buckets back: find a sensor's buckets by time, then merge each series' readings, once each.

A reading is identified by (series, time, seq). Stretches of one series from different buckets overlap
only when a reading was sent again (or a batch was queued twice after a broker hiccup), and then the
bucket of the later batch id holds the value that counts (last write wins, telemetry.buckets).
Stretches that do not overlap are simply laid end to end, which is what almost every read finds.
"""

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from operator import attrgetter, itemgetter

from telemetry import mongo
from telemetry.bucketcodec import SeriesChunk, chunks_unpack
from telemetry.buckets import BUCKET_SPAN_NS, moment
from telemetry.documents import Bucket

# Buckets fetched per query: enough to amortise a round trip, few enough to bound memory.
FETCH_BUCKETS = 16
# A chunk of a streamed range holds about this many readings before it is sorted and handed on.
CHUNK_READINGS = 50_000
# What a plan needs of a bucket: everything but its columns.
PLAN_FIELDS = {"s": 1, "b": 1, "t0": 1, "t1": 1, "n0": 1, "n1": 1, "n": 1}


@dataclass(slots=True)
class SeriesRows:
    """One series' readings in a time range, merged: sorted by (time, seq), each identity once."""

    metric: str
    tags: dict
    times: list[int]
    values: list
    seqs: list[int]
    numeric: bool = False


def _query(sensor_id: int, start_ns: int, end_ns: int) -> dict:
    """The index range of buckets that may hold a reading in [start_ns, end_ns): exact in ns, later.

    By `s` and `t1` alone, the index's fields: a bucket ends at most an hour after it starts, so one that
    starts before `end_ns` ends before `end_ns` + 1 h. (The MongoDB wire server used in development
    reads every document of a collection for a filter on any field outside the index it picks.)
    """
    return {"s": sensor_id, "t1": {"$gte": moment(start_ns), "$lte": moment(end_ns + BUCKET_SPAN_NS)}}


def buckets_planned(sensor_id: int, start_ns: int, end_ns: int) -> list[dict]:
    """The sensor's buckets holding a reading in [start_ns, end_ns), without their columns."""
    mongo.connect()
    found = Bucket._get_collection().find(_query(sensor_id, start_ns, end_ns), PLAN_FIELDS)
    return [bucket for bucket in found if bucket["n1"] >= start_ns and bucket["n0"] < end_ns]


def buckets_between(sensor_id: int, start_ns: int, end_ns: int) -> list[dict]:
    """The sensor's buckets holding a reading in [start_ns, end_ns), whole."""
    mongo.connect()
    found = Bucket._get_collection().find(_query(sensor_id, start_ns, end_ns))
    return [bucket for bucket in found if bucket["n1"] >= start_ns and bucket["n0"] < end_ns]


def buckets_fetch(ids: list[str]) -> list[dict]:
    """The buckets with these `_id`s, whole."""
    collection = Bucket._get_collection()
    found = []
    for start in range(0, len(ids), FETCH_BUCKETS):
        found += collection.find({"_id": {"$in": ids[start : start + FETCH_BUCKETS]}})
    return found


def series_chunks(buckets: list[dict], metric: str | None = None) -> list[SeriesChunk]:
    """Every series stretch these buckets hold (of `metric` only, when given)."""
    return [chunk for bucket in buckets for chunk in chunks_unpack(bucket, metric)]


def merged(chunks: list[SeriesChunk], start_ns: int | None = None, end_ns: int | None = None) -> list[SeriesRows]:
    """Each series' readings of `chunks` in [start_ns, end_ns), merged (last write wins on a repeat)."""
    by_series: dict[str, list[SeriesChunk]] = {}
    for chunk in chunks:
        by_series.setdefault(chunk.digest, []).append(chunk)
    rows = []
    for members in by_series.values():
        members.sort(key=lambda chunk: chunk.times[0])
        if any(later.times[0] <= earlier.times[-1] for earlier, later in pairwise(members)):
            times, values, seqs = _overlaid(members)
        else:
            times, values, seqs = _laid_end_to_end(members)
        if start_ns is not None:
            low, high = bisect_left(times, start_ns), bisect_left(times, end_ns)
            if low or high < len(times):
                times, values, seqs = times[low:high], values[low:high], seqs[low:high]
        if times:
            numeric = all(member.numeric for member in members)
            rows.append(SeriesRows(members[0].metric, members[0].tags, times, values, seqs, numeric))
    return rows


def _laid_end_to_end(members: list[SeriesChunk]) -> tuple[list, list, list]:
    if len(members) == 1:
        return members[0].times, members[0].values, members[0].seqs
    times, values, seqs = [], [], []
    for chunk in members:
        times += chunk.times
        values += chunk.values
        seqs += chunk.seqs
    return times, values, seqs


def _overlaid(members: list[SeriesChunk]) -> tuple[list, list, list]:
    """Readings of overlapping stretches: for a repeated (time, seq), the value of the latest batch."""
    latest: dict[tuple[int, int], object] = {}
    for chunk in sorted(members, key=attrgetter("batch")):
        latest.update(zip(zip(chunk.times, chunk.seqs, strict=True), chunk.values, strict=True))
    keys = sorted(latest)
    return [key[0] for key in keys], [latest[key] for key in keys], [key[1] for key in keys]


def plan_chunks(plan: list[dict]) -> Iterator[list[dict]]:
    """Planned buckets in time order, cut where no earlier bucket reaches past the next one's first reading.

    Every reading of one chunk is then older than every reading of the next, so a range can be read
    chunk by chunk, each sorted on its own, in bounded memory.
    """
    chunk: list[dict] = []
    reach, readings = None, 0
    for bucket in sorted(plan, key=itemgetter("n0")):
        if chunk and readings >= CHUNK_READINGS and bucket["n0"] > reach:
            yield chunk
            chunk, readings = [], 0
        chunk.append(bucket)
        readings += bucket["n"]
        reach = bucket["n1"] if reach is None else max(reach, bucket["n1"])
    if chunk:
        yield chunk
