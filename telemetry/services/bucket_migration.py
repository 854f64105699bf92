"""Convert the per-reading documents of before (`readings`) into buckets, and the rollups of before (a
document a window) into span documents: resumable, idempotent, in chunks.

Each chunk of readings, taken in the collection's natural order, becomes one batch whose id is derived
from the chunk (its first and last `_id` and size) and sorts before every real batch id: readings
written since win over migrated ones (last write wins). The chunk's buckets are inserted, then its
readings deleted. Stopped at any point, a new run starts from what is left: a chunk whose buckets went
in but whose readings were not deleted yet is the same chunk again, so the same bucket `_id`s, and
nothing is stored twice. Rollups of before (`rollups_minute`, `rollups_hour`: one document a window)
are written into the span documents of `rollup_minutes` and `rollup_hours` the same way, a rewrite of a
window giving the same entry. Every metric those rollups know gets its series document, so a metric
whose readings expired is still listed. At the end the emptied collections are dropped: later runs
find nothing to do at once.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from pymongo import DeleteOne

from telemetry import mongo
from telemetry.buckets import MIGRATED_BATCH_PREFIX, SeriesBatch, series_digest, tags_canonical
from telemetry.documents import Reading, RollupHour, RollupMinute, Series
from telemetry.services.rollups import rollup_windows_store
from telemetry.services.writer import documents_insert, series_batch_store

CHUNK_READINGS = 20_000
LEGACY_ROLLUPS = {"rollups_minute": RollupMinute, "rollups_hour": RollupHour}


@dataclass
class MigrationResult:
    readings: int = 0
    buckets: int = 0
    chunks: int = 0
    rollup_windows: int = 0
    series_from_rollups: int = 0


def _delete(collection, ids: list) -> None:
    # One DeleteOne per `_id`, in one request: the wire server of development scans the whole collection
    # for an `_id` $in filter, but finds a single `_id` by its index.
    collection.bulk_write([DeleteOne({"_id": each}) for each in ids], ordered=False)


def _chunk_batch_id(documents: list[dict]) -> str:
    key = f"{documents[0]['_id']}\x00{documents[-1]['_id']}\x00{len(documents)}".encode()
    return MIGRATED_BATCH_PREFIX + hashlib.blake2b(key, digest_size=4).hexdigest()


def _series_listed(pairs: set[tuple[int, str]]) -> int:
    """Series documents (no tags) for these (sensor, metric) pairs; returns how many were new."""
    documents = [
        {"_id": series_digest(sensor_id, metric, tags_canonical(None)), "s": sensor_id, "m": metric}
        for sensor_id, metric in pairs
    ]
    return len(documents) - len(documents_insert(Series._get_collection(), documents))


def _rollups_convert(collection, target, *, chunk: int) -> int:
    """Rewrite a collection of old rollups (a document a window) into `target`'s span documents."""
    windows_written = 0
    while documents := list(collection.find({}).limit(chunk)):
        windows: dict[tuple[int, str], dict[int, list]] = {}
        for document in documents:
            if document.get("n"):
                entry = [document["n"], document.get("min"), document.get("max"), document.get("sum"), 0]
                windows.setdefault((document["s"], document["m"]), {})[int(document["t"].timestamp())] = [
                    *entry,
                    document.get("last"),
                ]
        windows_written += rollup_windows_store(target, windows)
        _delete(collection, [document["_id"] for document in documents])
    return windows_written


def buckets_migrate(*, chunk: int = CHUNK_READINGS, progress: Callable[[MigrationResult, int], None] | None = None):
    """Move every per-reading document into buckets; `progress(result, left)` after each chunk."""
    mongo.connect()
    database = mongo.database()
    result = MigrationResult()
    legacy = set(database.list_collection_names()) & {Reading._meta["collection"], *LEGACY_ROLLUPS}
    if not legacy:
        return result  # nothing from before buckets, or migrated already
    readings = database[Reading._meta["collection"]]
    while documents := list(readings.find({}).limit(chunk)):
        batch = SeriesBatch()
        for document in documents:
            batch.add(
                document["s"], document["m"], document["ns"], document.get("v"), document.get("q", 0), document.get("g")
            )
        stored = series_batch_store(batch, batch_id=_chunk_batch_id(documents), mark_seen=False)
        _delete(readings, [document["_id"] for document in documents])
        result.readings += len(documents)
        result.buckets += stored.buckets
        result.chunks += 1
        if progress is not None:
            progress(result, readings.estimated_document_count())
    for name, target in LEGACY_ROLLUPS.items():
        if name in legacy:
            result.rollup_windows += _rollups_convert(database[name], target, chunk=chunk)
    # Every metric with hour rollups, converted in this run or an earlier one cut short.
    pairs = {(row["s"], row["m"]) for row in RollupHour._get_collection().find({}, {"s": 1, "m": 1})}
    result.series_from_rollups = _series_listed(pairs)
    # Last, so that a run stopped before this point does all of the above again (each step is idempotent).
    for name in legacy:
        database.drop_collection(name)
    return result
