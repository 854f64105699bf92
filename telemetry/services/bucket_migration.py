"""Convert the per-reading documents of before (`readings`) into buckets: resumable, idempotent, in chunks.

Each chunk of readings, taken in the collection's natural order, becomes one batch whose id is derived
from the chunk (its first and last `_id` and size) and sorts before every real batch id: readings
written since win over migrated ones (last write wins). The chunk's buckets are inserted, then its
readings deleted. Stopped at any point, a new run starts from what is left: a chunk whose buckets went
in but whose readings were not deleted yet is the same chunk again, so the same bucket `_id`s, and
nothing is stored twice. At the end every metric known only from its hour rollups (readings expired,
rollups kept) gets its series document, so it is still listed, and the empty collection is dropped:
later runs find nothing to do at once.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from telemetry import mongo
from telemetry.buckets import MIGRATED_BATCH_PREFIX, SeriesBatch, series_digest, tags_canonical
from telemetry.documents import Reading, RollupHour, Series
from telemetry.services.writer import documents_insert, series_batch_store

CHUNK_READINGS = 20_000


@dataclass
class MigrationResult:
    readings: int = 0
    buckets: int = 0
    chunks: int = 0
    series_from_rollups: int = 0


def _chunk_batch_id(documents: list[dict]) -> str:
    key = f"{documents[0]['_id']}\x00{documents[-1]['_id']}\x00{len(documents)}".encode()
    return MIGRATED_BATCH_PREFIX + hashlib.blake2b(key, digest_size=4).hexdigest()


def _series_from_rollups() -> int:
    """Series documents (no tags) for metrics that only hour rollups still know."""
    pairs = {(row["s"], row["m"]) for row in RollupHour._get_collection().find({}, {"s": 1, "m": 1})}
    documents = [
        {"_id": series_digest(sensor_id, metric, tags_canonical(None)), "s": sensor_id, "m": metric}
        for sensor_id, metric in pairs
    ]
    return len(documents) - len(documents_insert(Series._get_collection(), documents))


def buckets_migrate(*, chunk: int = CHUNK_READINGS, progress: Callable[[MigrationResult, int], None] | None = None):
    """Move every per-reading document into buckets; `progress(result, left)` after each chunk."""
    mongo.connect()
    database = mongo.database()
    result = MigrationResult()
    if Reading._meta["collection"] not in database.list_collection_names():
        return result  # nothing from before buckets, or migrated already
    readings = database[Reading._meta["collection"]]
    while documents := list(readings.find({}).limit(chunk)):
        batch = SeriesBatch()
        for document in documents:
            batch.add(
                document["s"], document["m"], document["ns"], document.get("v"), document.get("q", 0), document.get("g")
            )
        stored = series_batch_store(batch, batch_id=_chunk_batch_id(documents), mark_seen=False)
        readings.delete_many({"_id": {"$in": [document["_id"] for document in documents]}})
        result.readings += len(documents)
        result.buckets += stored.buckets
        result.chunks += 1
        if progress is not None:
            progress(result, readings.estimated_document_count())
    # Before the drop, so that a run stopped in between does this again (it is idempotent).
    result.series_from_rollups = _series_from_rollups()
    database.drop_collection(Reading._meta["collection"])
    return result
