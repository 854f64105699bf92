"""What MongoDB holds for a sensor, read straight from its bucket documents, for the tests' assertions.

Independent of telemetry.selectors (only the column format is shared): `physical` lists every reading
every bucket holds, copies included, and `visible` applies the documented rule itself (one reading per
series, time and seq; the bucket of the later batch id wins).
"""

from telemetry.bucketcodec import chunks_unpack


def _chunks(db, sensor_id: int, metric: str | None = None) -> list:
    chunks = []
    for bucket in db["buckets"].find({"s": sensor_id}):
        unpacked = chunks_unpack(bucket, metric)
        assert bucket["n"] == sum(len(chunk.times) for chunk in chunks_unpack(bucket))
        assert bucket["n0"] == min(chunk.times[0] for chunk in chunks_unpack(bucket))
        chunks += unpacked
    return chunks


def physical(db, sensor_id: int, metric: str | None = None) -> list[tuple]:
    """(metric, tags, ns, seq, value) of every stored reading of the sensor, in no particular order."""
    readings = []
    for chunk in _chunks(db, sensor_id, metric):
        tags = tuple(sorted(chunk.tags.items()))
        assert len(chunk.times) == len(chunk.values) == len(chunk.seqs)
        readings += [
            (chunk.metric, tags, ns, seq, value)
            for ns, seq, value in zip(chunk.times, chunk.seqs, chunk.values, strict=True)
        ]
    return readings


def count(db, sensor_id: int, metric: str | None = None) -> int:
    """How many readings the sensor's buckets hold, copies included."""
    if metric is not None:
        return len(physical(db, sensor_id, metric))
    return sum(bucket["n"] for bucket in db["buckets"].find({"s": sensor_id}, {"n": 1}))


def visible(db, sensor_id: int, metric: str | None = None) -> dict[tuple, object]:
    """{(metric, tags, ns, seq): value} as readers must show them: each identity once, the latest batch's value."""
    shown = {}
    for chunk in sorted(_chunks(db, sensor_id, metric), key=lambda chunk: chunk.batch):
        tags = tuple(sorted(chunk.tags.items()))
        for ns, seq, value in zip(chunk.times, chunk.seqs, chunk.values, strict=True):
            shown[(chunk.metric, tags, ns, seq)] = value
    return shown
