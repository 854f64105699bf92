"""Hand readings, or the listener's lines, to the `telemetry` queue in batches; say when the broker refuses them."""

from django.conf import settings
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from telemetry import tasks
from telemetry.buckets import batch_id_new
from telemetry.services.columns import readings_entries

# Fail within about a second when the broker is down: HTTP answers 503 and the listener spools, both
# better than holding a request for Celery's default of several retries with growing pauses.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5}
RETRY_AFTER_SECONDS = 5


class BrokerUnavailable(RuntimeError):
    """The broker did not accept a batch; nothing of it may be assumed stored. Retry later."""

    retry_after = RETRY_AFTER_SECONDS


def readings_enqueue(readings: list[list], *, one_task: bool = False) -> int:
    """Send checked wire-form readings as TELEMETRY_TASK_BATCH-sized tasks (or all in one); return how many.

    Each task holds its readings as columns (services.columns.readings_entries), a fraction of the
    bytes of a list per reading; readings that are not well formed go as they are, for the worker to
    dead-letter. Returns only after the broker accepted every batch, each with a batch id of its own. If
    it fails part-way, the caller may retry the whole lot: a reading queued twice is stored twice, but
    readers show it once (same series, time and seq: the later batch's copy wins, telemetry.buckets). An
    HTTP request's readings go as one task (`one_task`), so a refused request queued none of them.
    """
    return _publish(
        tasks.store_columns, readings, "readings", size=len(readings) if one_task else None, as_columns=True
    )


def columns_enqueue(entries: list[list]) -> None:
    """Send one request's readings as columns (services.columns.columns_entries) in one task.

    One task, so that a refused request queued nothing: its client's retry then stores it once.
    """
    _publish(tasks.store_columns, entries, "entries", size=max(1, len(entries)))


def lines_enqueue(lines: list[list], *, batch_id: str | None = None) -> int:
    """Send the listener's forwarded lines (services.lines) to be parsed and stored, as readings_enqueue does.

    One task per listener batch (TELEMETRY_LISTENER_BATCH lines), not per TELEMETRY_TASK_BATCH: publishing
    costs about 1.2 ms a task whatever its size, on the thread that shares the listener's GIL, so larger
    tasks leave more of it for reading the socket (bench listener_udp: 0.44-0.48 at 1,000 lines a task,
    0.53 at 2,500, with telemetry_e2e_udp unchanged at 0.90; at 5,000 fewer tasks kept workers idle, 0.85).
    `batch_id` is given for a batch the listener spooled: replaying it again after a crash then stores
    nothing twice. Past one task, each gets it with its number appended.
    """
    return _publish(tasks.store_lines, lines, "lines", size=settings.TELEMETRY_LISTENER_BATCH, batch_id=batch_id)


def _publish(
    task, items: list, noun: str, *, size: int | None = None, batch_id: str | None = None, as_columns: bool = False
) -> int:
    size = size or settings.TELEMETRY_TASK_BATCH
    sent = 0
    try:
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            count, this_task = len(batch), task
            if as_columns:
                try:
                    batch = readings_entries(batch)
                except (TypeError, ValueError, AttributeError):
                    this_task = tasks.store_batch  # not readings: the worker dead-letters what it cannot store
            if batch_id is None:
                this_batch = batch_id_new()
            else:
                this_batch = batch_id if len(items) <= size else f"{batch_id}.{start // size}"
            # A short argsrepr: Celery's default runs saferepr over every item, which costs about a
            # third of publishing a batch, for a header nobody reads (and the data stays out of it).
            this_task.apply_async(
                args=[batch],
                kwargs={"batch": this_batch},
                argsrepr=f"[<{count} {noun}>]",
                kwargsrepr=f"{{'batch': '{this_batch}'}}",
                retry=True,
                retry_policy=PUBLISH_RETRY_POLICY,
            )
            sent += 1
    except (OperationalError, RedisError, OSError) as exc:
        raise BrokerUnavailable(f"broker unavailable ({type(exc).__name__})") from exc
    return sent
