"""The worker's write: one unordered bulk insert per batch, where an `_id` seen before counts as stored."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from pymongo.errors import BulkWriteError

from telemetry import mongo
from telemetry.documents import Reading
from telemetry.models import Sensor
from telemetry.readings import reading_document

logger = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
# last_seen is for people: moving it once a minute per sensor keeps PostgreSQL out of the hot path.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class StoreResult:
    inserted: int
    duplicates: int


def readings_insert(documents: list[dict]) -> StoreResult:
    """Insert documents unordered; duplicates of stored ones are success, any other error is raised."""
    mongo.connect()
    collection = Reading._get_collection()
    try:
        result = collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors) or exc.details.get("writeConcernErrors"):
            raise
        return StoreResult(inserted=exc.details.get("nInserted", 0), duplicates=len(errors))
    return StoreResult(inserted=len(result.inserted_ids), duplicates=0)


def sensors_seen(sensor_ids: set[int]) -> None:
    """Mark these sensors seen now, touching only rows never marked or last marked a minute ago or more."""
    now = timezone.now()
    # One UPDATE per batch: this runs for every batch the worker stores, in the same time as the insert.
    stale = Q(last_seen__isnull=True) | Q(last_seen__lt=now - LAST_SEEN_RESOLUTION)
    Sensor.objects.filter(stale, pk__in=sensor_ids).update(last_seen=now)


def readings_store(readings: list[list]) -> StoreResult:
    """Store a batch of wire-form readings (telemetry.readings) exactly once, and mark their sensors seen."""
    if not readings:
        return StoreResult(0, 0)
    result = readings_insert([reading_document(reading) for reading in readings])
    sensors_seen({reading[0] for reading in readings})
    if result.duplicates:
        logger.info("telemetry batch: %d inserted, %d already stored", result.inserted, result.duplicates)
    return result
