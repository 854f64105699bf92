"""Celery tasks for telemetry; thin wrappers around services."""

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from pymongo.errors import AutoReconnect, ConnectionFailure

from telemetry.services import deadletters, rollups
from telemetry.services.heartbeat import heartbeat_record

logger = logging.getLogger(__name__)

MONGO_DOWN = (AutoReconnect, ConnectionFailure)
STORE_RETRIES = 10
RETRY_BACKOFF_MAX = 60


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
# the derived `_id`s make its second delivery insert only what the first one missed. Malformed
# readings are dead-lettered at once (services.deadletters); any failure of the write is retried with
# exponential backoff (about 8 minutes in all, MongoDB restarts included) and then dead-lettered, so
# no batch is retried forever or dropped silently.
@shared_task(bind=True, max_retries=STORE_RETRIES, acks_late=True, reject_on_worker_lost=True)
def store_batch(self, readings: list[list]) -> int:
    task_id = self.request.id or ""
    try:
        return deadletters.batch_store(readings, task_id=task_id)
    except Exception as exc:  # noqa: BLE001 - every failed write is retried, then dead-lettered
        if self.request.retries < self.max_retries:
            delay = get_exponential_backoff_interval(1, self.request.retries, RETRY_BACKOFF_MAX, full_jitter=True)
            level = logging.INFO if isinstance(exc, MONGO_DOWN) else logging.WARNING
            logger.log(level, "telemetry batch %s failed (%s), retry in %d s", task_id, type(exc).__name__, delay)
            raise self.retry(exc=exc, countdown=delay) from None
        # If MongoDB is still down this raises too, and the batch is only in the worker's log.
        deadletters.deadletter_record(
            readings=readings if isinstance(readings, list) else [readings],
            reason=f"still failing after {self.max_retries} retries: {type(exc).__name__}",
            task_id=task_id,
        )
        return 0


@shared_task(acks_late=True, autoretry_for=MONGO_DOWN, max_retries=3, retry_backoff=True)
def rollup_minutes() -> int:
    return rollups.rollup_recent().windows


@shared_task(acks_late=True, autoretry_for=MONGO_DOWN, max_retries=3, retry_backoff=True)
def rollup_hours() -> int:
    return rollups.rollup_recent_hours().windows
