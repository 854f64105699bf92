"""Celery tasks for the vault: key rotation in batches, expiry of share links. Never key material as arguments."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from vault.services.keyops import DEFAULT_BATCH_SIZE, key_rotation_step
from vault.services.shares import shares_expired_wipe


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def rewrap_batch(self, to_kek: str, batch_size: int = DEFAULT_BATCH_SIZE, after_id: int = 0, sweep: int = 0) -> int:
    """Re-wrap one batch under KEK `to_kek`, then enqueue the next until none is left; returns the next cursor.

    Each batch commits before the next is sent, so a redelivered or repeated task only redoes uncommitted work.
    The next batch goes to the queue this one came from, so a chain started on a dedicated queue stays there.
    """
    step = key_rotation_step(to_kek=to_kek, after_id=after_id, batch_size=batch_size, sweep=sweep)
    if step is None:
        return 0
    cursor, sweep = step
    queue = (self.request.delivery_info or {}).get("routing_key") or None
    rewrap_batch.apply_async(
        kwargs={"to_kek": to_kek, "batch_size": batch_size, "after_id": cursor, "sweep": sweep}, queue=queue
    )
    return cursor


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=3)
def shares_expire() -> int:
    """Wipe the ciphertext of expired share links (beat, every 15 minutes); returns how many were wiped."""
    return shares_expired_wipe()
