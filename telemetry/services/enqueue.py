"""Hand validated readings to the `telemetry` queue in batches; say clearly when the broker refuses them."""

from django.conf import settings
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from telemetry import tasks

# Fail within about a second when the broker is down: HTTP answers 503 and the listener spools, both
# better than holding a request for Celery's default of several retries with growing pauses.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5}
RETRY_AFTER_SECONDS = 5


class BrokerUnavailable(RuntimeError):
    """The broker did not accept a batch; nothing of it may be assumed stored. Retry later."""

    retry_after = RETRY_AFTER_SECONDS


def readings_enqueue(readings: list[list]) -> int:
    """Send wire-form readings as TELEMETRY_TASK_BATCH-sized tasks; return how many tasks were sent.

    Returns only after the broker accepted every batch. If it fails part-way, the caller must retry
    the whole lot: readings already queued are stored once anyway, by their derived `_id`.
    """
    size = settings.TELEMETRY_TASK_BATCH
    sent = 0
    try:
        for start in range(0, len(readings), size):
            batch = readings[start : start + size]
            # A short argsrepr: Celery's default runs saferepr over every reading, which costs about
            # a third of publishing a batch, for a header nobody reads (and readings stay out of it).
            tasks.store_batch.apply_async(
                args=[batch],
                argsrepr=f"[<{len(batch)} readings>]",
                kwargsrepr="{}",
                retry=True,
                retry_policy=PUBLISH_RETRY_POLICY,
            )
            sent += 1
    except (OperationalError, RedisError, OSError) as exc:
        raise BrokerUnavailable(f"broker unavailable ({type(exc).__name__})") from exc
    return sent
