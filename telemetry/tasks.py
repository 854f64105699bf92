"""Celery tasks for telemetry; thin wrappers around services."""

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from pymongo.errors import AutoReconnect, ConnectionFailure

from config.celery import READINGS_SERIALIZER
from telemetry.buckets import SeriesBatch, batch_id_of_task
from telemetry.services import columns, deadletters, rollups
from telemetry.services.heartbeat import heartbeat_record
from telemetry.services.lines import LineParser
from telemetry.services.lines import logger as listener_logger
from telemetry.services.writer import series_batch_store

logger = logging.getLogger(__name__)

MONGO_DOWN = (AutoReconnect, ConnectionFailure)
STORE_RETRIES = 10
RETRY_BACKOFF_MAX = 60
# retry(max_retries=None) means "the task's default", not "no limit": a minute apart, this is forever.
OUTAGE_RETRIES = 10**9
MAX_BATCH_ID_CHARS = 64


@shared_task(
    bind=True,
    autoretry_for=MONGO_DOWN,
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def heartbeat(self, requested_by: str = "schedule") -> str:
    heartbeat_record(worker=self.request.hostname or "unknown", requested_by=requested_by)
    return "ok"


# acks_late + reject_on_worker_lost: a batch whose worker dies mid-write goes back on the queue, and
# the `_id`s derived from its batch id make its second delivery insert only what the first one missed.
# `batch` is the id the publisher gave it (telemetry.buckets.batch_id_new); a task published before
# buckets has none and uses its own task id, which redelivery keeps too. Malformed readings are
# dead-lettered at once (services.deadletters). While MongoDB is unreachable a batch is retried with
# exponential backoff (capped at a minute) for as long as the outage lasts: an outage is not the
# batch's fault, and giving up would lose readings. Any other failure is retried STORE_RETRIES times
# (about 8 minutes) and then dead-lettered, so no poison batch is retried forever.
@shared_task(
    bind=True, max_retries=STORE_RETRIES, acks_late=True, reject_on_worker_lost=True, serializer=READINGS_SERIALIZER
)
def store_batch(self, readings: list[list], batch: str | None = None) -> int:
    batch_id = _batch_id(self, batch)
    return _store(self, lambda: deadletters.batch_store(readings, batch_id=batch_id, task_id=self.request.id), readings)


# A plain line-protocol body an HTTP endpoint parsed, as columns (services.columns): checked, then stored
# as store_batch stores readings.
@shared_task(
    bind=True, max_retries=STORE_RETRIES, acks_late=True, reject_on_worker_lost=True, serializer=READINGS_SERIALIZER
)
def store_columns(self, entries: list[list], batch: str | None = None) -> int:
    batch_id = _batch_id(self, batch)
    return _store(self, lambda: columns.columns_store(entries, batch_id=batch_id, task_id=self.request.id), entries)


# Forwarded line protocol (services.lines): parsed here, then stored as store_batch stores readings.
# Parsing again on a retry gives the same readings (each record carries its arrival time), so the same
# buckets; refused lines are reported only once the batch has landed, so a retried batch counts them once.
@shared_task(
    bind=True, max_retries=STORE_RETRIES, acks_late=True, reject_on_worker_lost=True, serializer=READINGS_SERIALIZER
)
def store_lines(self, lines: list[list], batch: str | None = None) -> int:
    parser = LineParser()
    series = SeriesBatch()
    parser.into(lines, series)
    batch_id = _batch_id(self, batch)
    stored = _store(self, lambda: series_batch_store(series, batch_id=batch_id).inserted, lines) if series.count else 0
    if parser.rejects:
        parser.rejects.report(listener_logger)
    return stored


def _batch_id(task, batch) -> str:
    return (
        batch
        if type(batch) is str and 0 < len(batch) <= MAX_BATCH_ID_CHARS
        else batch_id_of_task(task.request.id or "")
    )


def _store(task, write, items) -> int:
    """Run `write`; retry through outages and failures as above, then dead-letter `items` (as sent)."""
    task_id = task.request.id or ""
    try:
        return write()
    except Exception as exc:  # noqa: BLE001 - every failed write is retried, then dead-lettered
        mongo_down = isinstance(exc, MONGO_DOWN)
        if mongo_down or task.request.retries < task.max_retries:
            delay = get_exponential_backoff_interval(1, task.request.retries, RETRY_BACKOFF_MAX, full_jitter=True)
            level = logging.INFO if mongo_down else logging.WARNING
            logger.log(level, "telemetry batch %s failed (%s), retry in %d s", task_id, type(exc).__name__, delay)
            limit = OUTAGE_RETRIES if mongo_down else STORE_RETRIES
            raise task.retry(exc=exc, countdown=delay, max_retries=limit) from None
        try:
            deadletters.deadletter_record(
                readings=items if isinstance(items, list) else [items],
                reason=f"still failing after {task.max_retries} retries: {type(exc).__name__}",
                task_id=task_id,
            )
        except MONGO_DOWN as down:
            # Nowhere to put it yet: keep the batch on the broker rather than drop it.
            raise task.retry(exc=down, countdown=RETRY_BACKOFF_MAX, max_retries=OUTAGE_RETRIES) from None
        return 0


@shared_task(acks_late=True, autoretry_for=MONGO_DOWN, max_retries=3, retry_backoff=True)
def rollup_minutes() -> int:
    return rollups.rollup_recent().windows


@shared_task(acks_late=True, autoretry_for=MONGO_DOWN, max_retries=3, retry_backoff=True)
def rollup_hours() -> int:
    return rollups.rollup_recent_hours().windows
