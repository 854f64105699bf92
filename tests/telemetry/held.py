"""What MongoDB holds for a sensor, read straight from its bucket documents, for the tests' assertions.

Deliberately independent of telemetry.selectors: `physical` lists every reading every bucket holds,
copies included, and `visible` applies the documented rule itself (one reading per series, time and
seq; the bucket of the later batch id wins).
"""


def _buckets(db, sensor_id: int, metric: str | None = None) -> list[dict]:
    query = {"s": sensor_id} if metric is None else {"s": sensor_id, "m": metric}
    return list(db["buckets"].find(query))


def physical(db, sensor_id: int, metric: str | None = None) -> list[tuple]:
    """(metric, tags, ns, seq, value) of every stored reading of the sensor, in no particular order."""
    readings = []
    for bucket in _buckets(db, sensor_id, metric):
        tags = tuple(sorted((bucket.get("g") or {}).items()))
        seqs = bucket.get("q") or [0] * bucket["n"]
        assert len(bucket["ns"]) == len(bucket["v"]) == len(seqs) == bucket["n"]
        readings += [
            (bucket["m"], tags, ns, seq, value) for ns, seq, value in zip(bucket["ns"], seqs, bucket["v"], strict=True)
        ]
    return readings


def count(db, sensor_id: int, metric: str | None = None) -> int:
    """How many readings the sensor's buckets hold, copies included (SecantusDB sums small documents fast)."""
    return sum(
        bucket["n"] for bucket in db["bucket_summaries"].find({"s": sensor_id} | ({"m": metric} if metric else {}))
    )


def visible(db, sensor_id: int, metric: str | None = None) -> dict[tuple, object]:
    """{(metric, tags, ns, seq): value} as readers must show them: each identity once, the latest batch's value."""
    shown = {}
    for bucket in sorted(_buckets(db, sensor_id, metric), key=lambda bucket: bucket["b"]):
        tags = tuple(sorted((bucket.get("g") or {}).items()))
        seqs = bucket.get("q") or [0] * bucket["n"]
        for ns, seq, value in zip(bucket["ns"], seqs, bucket["v"], strict=True):
            shown[(bucket["m"], tags, ns, seq)] = value
    return shown
