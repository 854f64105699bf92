"""Celery tasks for telemetry; thin wrappers around services."""

from celery import shared_task
from pymongo.errors import AutoReconnect, ConnectionFailure

from telemetry.services import writer
from telemetry.services.heartbeat import heartbeat_record

MONGO_DOWN = (AutoReconnect, ConnectionFailure)


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
# the derived `_id`s make its second delivery insert only what the first one missed.
@shared_task(
    autoretry_for=MONGO_DOWN,
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
    reject_on_worker_lost=True,
)
def store_batch(readings: list[list]) -> int:
    return writer.readings_store(readings).inserted
