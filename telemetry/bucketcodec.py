"""How a bucket document holds its series: parallel columns, packed as binary, and how to read them back.

A bucket holds the readings one batch brought for one sensor (telemetry.buckets), grouped by series:
each series' times, values and seqs are contiguous stretches of parallel columns. Columns are packed
the way MongoDB's own time-series buckets pack theirs, as binary values rather than BSON arrays:

- `sx`: the series table, JSON: [[series digest, metric, tags or null, readings, value kind], ...]
- `ns`: every series' times (ns), little-endian int64, in table order
- `vd`, `vq`, `vj`: the values of the series of kind "d" (all floats: float64), "q" (all integers:
  int64) and "j" (booleans, strings or a mix: a JSON list), each in table order; absent when empty
- `q`: the seqs, int64, absent when all are 0 (line protocol has none)

Why: the MongoDB wire server used in development and tests spends about 1-5 us on every BSON element
and about 0.25 ms on every document, so arrays of one element per reading, or a document per series,
cost more than everything else on the ingest path put together (see docs/telemetry-storage.md). Three
binary values and a small table cost the same whatever the readings.
"""

import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
from bson import Binary

BIG_ENDIAN = sys.byteorder == "big"


@dataclass(slots=True)
class SeriesChunk:
    """One series' readings from one bucket: sorted by (time, seq), each (time, seq) once."""

    digest: str
    metric: str
    tags: dict
    batch: str
    times: list[int]
    values: list
    seqs: list[int]
    # Whether every value is a number: known from the column (float64 or int64) without looking at each.
    numeric: bool = False


def _packed(typecode: str, numbers: list) -> Binary:
    column = array(typecode, numbers)
    if BIG_ENDIAN:
        column.byteswap()
    return Binary(column.tobytes())


def _unpacked(typecode: str, data: bytes) -> array:
    column = array(typecode)
    column.frombytes(data)
    if BIG_ENDIAN:
        column.byteswap()
    return column


def _kind(values: list) -> str:
    kinds = set(map(type, values))  # a third of the time of all() over a generator
    if kinds == {float}:
        return "d"
    if kinds == {int}:
        return "q"
    return "j"


def columns_pack(members: list[tuple]) -> dict:
    """The packed fields (`sx`, `ns`, `vd`, `vq`, `vj`, `q`) of series given as
    (digest, metric, tags, times, values, seqs or None), each sorted by (time, seq)."""
    table, times = [], []
    values: dict[str, list] = {"d": [], "q": [], "j": []}
    seqs: list[int] = []
    any_seq = False
    for digest, metric, tags, series_times, series_values, series_seqs in members:
        kind = _kind(series_values)
        table.append([digest, metric, tags, len(series_times), kind])
        times += series_times
        values[kind] += series_values
        if series_seqs is not None and any(series_seqs):
            any_seq = True
            seqs += series_seqs
        else:
            seqs += [0] * len(series_times)
    packed = {"sx": Binary(orjson.dumps(table)), "ns": _packed("q", times)}
    if values["d"]:
        packed["vd"] = _packed("d", values["d"])
    if values["q"]:
        packed["vq"] = _packed("q", values["q"])
    if values["j"]:
        packed["vj"] = Binary(orjson.dumps(values["j"]))
    if any_seq:
        packed["q"] = _packed("q", seqs)
    return packed


def times_unpack(bucket: dict) -> array:
    """Every time (ns) a bucket holds, series after series."""
    return _unpacked("q", bucket["ns"])


def series_layout(table: list) -> Iterator[tuple]:
    """(digest, metric, tags, count, kind, position, start) of each series of a bucket's `sx` table: its times
    are `ns`[position : position + count], its values its kind's column [start : start + count]."""
    offsets, position = {"d": 0, "q": 0, "j": 0}, 0
    for digest, metric, tags, count, kind in table:
        yield digest, metric, tags, count, kind, position, offsets[kind]
        offsets[kind] += count
        position += count


def chunks_unpack(bucket: dict, metric: str | None = None) -> list[SeriesChunk]:
    """The series a bucket document holds (only those of `metric` when given), columns as lists."""
    table = orjson.loads(memoryview(bucket["sx"]))
    times = _unpacked("q", bucket["ns"])
    columns = {
        "d": _unpacked("d", bucket["vd"]) if "vd" in bucket else None,
        "q": _unpacked("q", bucket["vq"]) if "vq" in bucket else None,
        "j": orjson.loads(memoryview(bucket["vj"])) if "vj" in bucket else None,
    }
    seqs = _unpacked("q", bucket["q"]) if "q" in bucket else None
    chunks = []
    for digest, series_metric, tags, count, kind, position, start in series_layout(table):
        if metric is None or series_metric == metric:
            column = columns[kind]
            chunks.append(
                SeriesChunk(
                    digest=digest,
                    metric=series_metric,
                    tags=tags or {},
                    batch=bucket["b"],
                    times=times[position : position + count].tolist(),
                    values=column[start : start + count] if kind == "j" else column[start : start + count].tolist(),
                    seqs=[0] * count if seqs is None else seqs[position : position + count].tolist(),
                    numeric=kind != "j",
                )
            )
    return chunks
