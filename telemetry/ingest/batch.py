"""What one ingest request yields, and handing it on: readings to the broker, rejections to the counters."""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from pymongo.errors import PyMongoError

from telemetry.ingest.errors import TooLarge
from telemetry.services.enqueue import readings_enqueue
from telemetry.services.rejects import rejects_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rejection:
    position: int | None  # JSON: the entry's 0-based index; line protocol: the 1-based line number
    reason: str
    sensor_id: int  # telemetry.services.rejects.UNKNOWN_SENSOR when no writable sensor is known


@dataclass
class Batch:
    readings: list[list] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def batch_check_size(count: int) -> None:
    if count > settings.TELEMETRY_BATCH_MAX:
        raise TooLarge(f"At most {settings.TELEMETRY_BATCH_MAX} readings per request; this one has {count}.")


def batch_submit(batch: Batch) -> None:
    """Enqueue the good readings, then count the rejections; raises BrokerUnavailable (nothing accepted).

    Rejections are counted only once the broker took the readings, so a client retrying after a 503
    is not counted twice. Counting is best effort: a MongoDB hiccup never fails a request whose
    readings are already queued.
    """
    batch_check_size(len(batch.readings))
    if batch.readings:
        readings_enqueue(batch.readings, one_task=True)
    counts: dict[int, tuple[int, str]] = {}
    for rejection in batch.rejections:
        rejected, _ = counts.get(rejection.sensor_id, (0, ""))
        counts[rejection.sensor_id] = (rejected + 1, rejection.reason)
    try:
        rejects_record(counts)
    except PyMongoError as exc:
        logger.warning("telemetry rejects not counted (%d lines): %s", len(batch.rejections), type(exc).__name__)
