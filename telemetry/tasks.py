"""Celery tasks for telemetry; thin wrappers around services."""

from celery import shared_task
from pymongo.errors import AutoReconnect, ConnectionFailure

from telemetry import services


@shared_task(
    bind=True,
    autoretry_for=(AutoReconnect, ConnectionFailure),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def heartbeat(self, requested_by: str = "schedule") -> str:
    services.heartbeat_record(worker=self.request.hostname or "unknown", requested_by=requested_by)
    return "ok"
