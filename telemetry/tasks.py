"""Celery tasks for telemetry; thin wrappers around services."""

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from pymongo.errors import AutoReconnect, ConnectionFailure

from config.celery import READINGS_SERIALIZER
from telemetry.services import deadletters, rollups
from telemetry.services.heartbeat import heartbeat_record
from telemetry.services.lines import LineParser
from telemetry.services.lines import logger as listener_logger

logger = logging.getLogger(__name__)

MONGO_DOWN = (AutoReconnect, ConnectionFailure)
STORE_RETRIES = 10
RETRY_BACKOFF_MAX = 60
# retry(max_retries=None) means "the task's default", not "no limit": a minute apart, this is forever.
OUTAGE_RETRIES = 10**9


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
# readings are dead-lettered at once (services.deadletters). While MongoDB is unreachable a batch is
# retried with exponential backoff (capped at a minute) for as long as the outage lasts: an outage is
# not the batch's fault, and giving up would lose readings. Any other failure is retried STORE_RETRIES
# times (about 8 minutes) and then dead-lettered, so no poison batch is retried forever.
@shared_task(
    bind=True, max_retries=STORE_RETRIES, acks_late=True, reject_on_worker_lost=True, serializer=READINGS_SERIALIZER
)
def store_batch(self, readings: list[list]) -> int:
    return _store(self, readings)


# The socket listener's lines: parsed here, then stored as store_batch stores readings. Parsing again on
# a retry gives the same readings (each line carries its arrival time), and refused lines are reported
# only once the batch has landed, so a batch retried through an outage counts them once.
@shared_task(
    bind=True, max_retries=STORE_RETRIES, acks_late=True, reject_on_worker_lost=True, serializer=READINGS_SERIALIZER
)
def store_lines(self, lines: list[list]) -> int:
    parser = LineParser()
    readings = parser.readings(lines)
    stored = _store(self, readings) if readings else 0
    if parser.rejects:
        parser.rejects.report(listener_logger)
    return stored


def _store(task, readings: list[list]) -> int:
    task_id = task.request.id or ""
    try:
        return deadletters.batch_store(readings, task_id=task_id)
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
                readings=readings if isinstance(readings, list) else [readings],
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
