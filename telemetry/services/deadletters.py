"""The worker's guard: check a batch's shape before writing, and keep what cannot be stored as dead letters.

A batch with a few bad readings stores its good ones and dead-letters only the bad ones, each with
its reason: one malformed reading must not cost a sensor the rest of its batch, and the good ones
are exactly what the ingest path accepted. A batch that is not a list at all is dead-lettered whole.
"""

import logging

import bson
from django.utils import timezone
from pymongo.errors import ConnectionFailure

from telemetry import mongo
from telemetry.documents import DeadLetter
from telemetry.readings import (
    INT64_MAX,
    MAX_METRIC_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    ReadingRejected,
    reading_make,
)
from telemetry.services.writer import readings_store

logger = logging.getLogger(__name__)

WIRE_FIELDS = 6
MAX_REASON_CHARS = 300
# A dead letter is one MongoDB document (16 MB at most): a huge poison batch keeps its head and its size.
MAX_DEAD_READINGS = 5000
MAX_REPR_CHARS = 1_000_000


def reading_check(reading) -> list:
    """The reading in its canonical wire form, or ReadingRejected: its shape, not its age.

    Age is the ingest path's rule, checked against the clock when the reading arrived; a batch
    retried or redelivered later must not lose readings for having waited in the queue.

    What the ingest paths send (exact ints, a finite float, an integer or a boolean, string tags)
    passes one expression; anything else, valid or not, takes reading_check_exact, which has the
    final word and the reasons. The worker runs this for every reading it stores.
    """
    if type(reading) is list and len(reading) == WIRE_FIELDS:
        sensor_id, metric, ts_ns, value, seq, tags = reading
        kind = type(value)
        if (
            type(sensor_id) is int
            and 0 < sensor_id <= INT64_MAX
            and type(ts_ns) is int
            and -INT64_MAX <= ts_ns <= INT64_MAX
            and type(seq) is int
            and 0 <= seq <= INT64_MAX
            and type(metric) is str
            and 0 < len(metric) <= MAX_METRIC_CHARS
            and metric.isprintable()
            # `value - value` is 0.0 for every finite float, NaN for NaN and infinity.
            and ((kind is float and value - value == 0.0) or (kind is int and -INT64_MAX - 1 <= value <= INT64_MAX))
            and (tags is None or tags_plain(tags))
        ):
            return [sensor_id, metric, ts_ns, value, seq, tags or None]
    return reading_check_exact(reading)


def tags_plain(tags) -> bool:
    """True for what the ingest paths send: at most MAX_TAGS short string pairs, no key MongoDB refuses."""
    return (
        type(tags) is dict
        and len(tags) <= MAX_TAGS
        and all(
            type(key) is str
            and type(value) is str
            and 0 < len(key) <= MAX_TAG_CHARS
            and len(value) <= MAX_TAG_CHARS
            and key[0] != "$"
            and "\x00" not in key
            for key, value in tags.items()
        )
    )


def reading_check_exact(reading) -> list:
    """reading_check for any input, one rule at a time, so that a refusal names the rule broken."""
    if not isinstance(reading, list) or len(reading) != WIRE_FIELDS:
        raise ReadingRejected(f"a reading must be a list of {WIRE_FIELDS} items")
    sensor_id, metric, ts_ns, value, seq, tags = reading
    if isinstance(sensor_id, bool) or not isinstance(sensor_id, int) or not 0 < sensor_id <= INT64_MAX:
        raise ReadingRejected("sensor must be a positive integer")
    if isinstance(ts_ns, bool) or not isinstance(ts_ns, int) or not -INT64_MAX <= ts_ns <= INT64_MAX:
        raise ReadingRejected("timestamp must be an int64 number of nanoseconds")
    # MongoDB refuses these keys; caught here they cost one reading, not a whole batch's retries.
    if isinstance(tags, dict) and any(not isinstance(key, str) or "\x00" in key or key.startswith("$") for key in tags):
        raise ReadingRejected("tag names must not start with $ or contain NUL")
    # now=ts_ns: the time-window check passes for any timestamp, every other check applies.
    return reading_make(sensor_id, metric, ts_ns, value, seq, tags, now=ts_ns)


def batch_split(batch) -> tuple[list[list], list, list[str]]:
    """(good readings, bad readings, one reason per bad reading)."""
    if not isinstance(batch, list):
        return [], [batch], ["a batch must be a list of readings"]
    good, bad, reasons = [], [], []
    for reading in batch:
        try:
            good.append(reading_check(reading))
        except ReadingRejected as exc:
            bad.append(reading)
            reasons.append(str(exc)[:MAX_REASON_CHARS])
    return good, bad, reasons


def _storable(reading):
    """The reading itself when BSON can hold it, else its text (an int beyond 64 bits, a NUL in a key)."""
    try:
        bson.encode({"r": reading})
    except Exception:  # noqa: BLE001 - whatever BSON refuses, the text keeps for a person to read
        return repr(reading)[:MAX_REPR_CHARS]
    return reading


def deadletter_record(*, readings: list, reason: str, reasons: list[str] | None = None, task_id: str = "") -> None:
    """Keep `readings` with why they were not stored; raises only when MongoDB itself fails."""
    document = DeadLetter(
        created=timezone.now(),
        task_id=task_id or "",
        reason=reason[:1000],
        reasons=(reasons or [])[:MAX_DEAD_READINGS],
        readings=[_storable(reading) for reading in readings[:MAX_DEAD_READINGS]],
    )
    mongo.connect()
    try:
        document.save(force_insert=True)
    except ConnectionFailure:
        raise
    except Exception:  # noqa: BLE001 - the server refuses the whole (too big): keep its text instead
        document.readings = [repr(readings)[:MAX_REPR_CHARS]]
        document.save(force_insert=True)
    logger.warning("telemetry dead letter: %d reading(s), task %s: %s", len(readings), task_id, reason)


def batch_store(batch, *, batch_id: str, task_id: str = "") -> int:
    """Store a batch's well-formed readings under `batch_id` and dead-letter the rest; return how many were inserted."""
    good, bad, reasons = batch_split(batch)
    if bad:
        deadletter_record(
            readings=bad, reason=f"{len(bad)} malformed reading(s): {reasons[0]}", reasons=reasons, task_id=task_id
        )
    return readings_store(good, batch_id=batch_id).inserted if good else 0
