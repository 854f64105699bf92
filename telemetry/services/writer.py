"""The worker's write: a batch's buckets in one unordered insert, and its series not written lately.

Every `_id` is derived from the batch id and the batch's content (telemetry.buckets), so storing a
batch again (a redelivery after a killed worker, a retry after MongoDB came back) inserts only what
the first attempt did not: a duplicate key is success, any other error is raised.
"""

import logging
import os
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from pymongo.errors import BulkWriteError

from telemetry import mongo
from telemetry.buckets import SeriesBatch, batch_id_new
from telemetry.documents import Bucket, Series
from telemetry.models import Sensor

logger = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
# last_seen is for people: moving it once a minute per sensor keeps PostgreSQL out of the hot path.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
# Series documents this process stored, sensors it marked seen: not written again for a while. Bounded,
# dropped after a fork, and series re-sent after SERIES_RECHECK_SECONDS, so that series documents lost
# with a MongoDB restored from an older backup come back without a restart.
MAX_REMEMBERED = 100_000
SERIES_RECHECK_SECONDS = 600


@dataclass(frozen=True)
class StoreResult:
    inserted: int  # readings in buckets this call inserted
    duplicates: int  # readings in buckets an earlier delivery of the same batch had inserted
    buckets: int = 0


class _RecentlyWritten:
    """Keys this process wrote less than `seconds` ago (monotonic clock); forgotten in a forked child."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._when: dict = {}
        self._pid = os.getpid()

    def stale(self, keys) -> list:
        """The keys not written within `seconds`, in the order given."""
        if self._pid != os.getpid():
            self.clear()
            self._pid = os.getpid()
        clock = time.monotonic()
        return [key for key in keys if clock - self._when.get(key, -self.seconds) >= self.seconds]

    def written(self, keys: list) -> None:
        if len(self._when) + len(keys) > MAX_REMEMBERED:
            self._when.clear()
        self._when.update(dict.fromkeys(keys, time.monotonic()))

    def clear(self) -> None:
        self._when.clear()


_series_written = _RecentlyWritten(SERIES_RECHECK_SECONDS)
_sensors_marked = _RecentlyWritten(LAST_SEEN_RESOLUTION.total_seconds())


def documents_insert(collection, documents: list[dict]) -> set:
    """Insert unordered; return the `_id`s already stored (duplicates are success, anything else raises)."""
    if not documents:
        return set()
    try:
        collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors) or exc.details.get("writeConcernErrors"):
            raise
        return {documents[error["index"]]["_id"] for error in errors}
    return set()


def caches_clear() -> None:
    """Forget which series and sensors this process wrote: for a process whose MongoDB or PostgreSQL data was
    replaced under it (tests drop their collections between tests)."""
    _series_written.clear()
    _sensors_marked.clear()


def series_remember(series_docs: list[dict]) -> None:
    """Insert the series documents this process has not stored lately (they never change)."""
    new_ids = set(_series_written.stale(document["_id"] for document in series_docs))
    if not new_ids:
        return
    documents_insert(Series._get_collection(), [document for document in series_docs if document["_id"] in new_ids])
    _series_written.written(list(new_ids))


def sensors_seen(sensor_ids: set[int]) -> None:
    """Mark these sensors seen now, touching only rows never marked or last marked a minute ago or more.

    A process that marked a sensor less than a minute ago skips it without asking PostgreSQL.
    """
    stale_here = _sensors_marked.stale(sensor_ids)
    if not stale_here:
        return
    now = timezone.now()
    stale = Q(last_seen__isnull=True) | Q(last_seen__lt=now - LAST_SEEN_RESOLUTION)
    Sensor.objects.filter(stale, pk__in=stale_here).update(last_seen=now)
    _sensors_marked.written(stale_here)


def series_batch_store(batch: SeriesBatch, *, batch_id: str, mark_seen: bool = True) -> StoreResult:
    """Store a batch's readings exactly once under `batch_id`, and mark their sensors seen (unless told not to).

    Series documents go after the buckets: a crash between the two leaves readings whose metric is not
    listed yet, and the redelivered batch lists it.
    """
    if not batch.count:
        return StoreResult(0, 0)
    buckets, series_docs = batch.documents(batch_id)
    mongo.connect()
    existing = documents_insert(Bucket._get_collection(), buckets)
    series_remember(series_docs)
    if mark_seen:
        sensors_seen(batch.sensor_ids())
    stored = sum(bucket["n"] for bucket in buckets)
    duplicates = sum(bucket["n"] for bucket in buckets if bucket["_id"] in existing)
    if duplicates:
        logger.info("telemetry batch %s: %d readings already stored", batch_id, duplicates)
    return StoreResult(inserted=stored - duplicates, duplicates=duplicates, buckets=len(buckets))


def readings_store(readings: list[list], *, batch_id: str | None = None) -> StoreResult:
    """Store checked wire-form readings (telemetry.readings) as one batch; a new batch id when none is given."""
    batch = SeriesBatch()
    batch.add_readings(readings)
    return series_batch_store(batch, batch_id=batch_id or batch_id_new())
