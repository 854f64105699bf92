"""One reading as it travels from ingest to a worker: its compact wire form and its validation.

On the broker a reading is a JSON list `[sensor_id, metric, ts_ns, value, seq, tags]`: lists are
about half the size of dicts and every ingest path that parses produces the same shape. A reading is
identified by (sensor, metric, tags, ts_ns, seq); how a batch of them is stored is telemetry.buckets.
"""

import math
import time

from django.conf import settings

from telemetry.lineprotocol import Point

MAX_METRIC_CHARS = 200
MAX_TAGS = 32
MAX_TAG_CHARS = 256
MAX_STRING_VALUE_CHARS = 1024
INT64_MAX = 2**63 - 1
NS_PER_SECOND = 1_000_000_000
# A field named "value" is the reading itself: `temperature value=21.5` is metric "temperature".
PLAIN_FIELD = "value"


class ReadingRejected(ValueError):
    """A reading broke a rule; the message is the reason shown to the sender and counted."""


def now_ns() -> int:
    return time.time_ns()


def metric_for(measurement: str, field: str) -> str:
    """The metric a line-protocol field becomes: `weather temp=1` -> "weather.temp"."""
    return measurement if field == PLAIN_FIELD else f"{measurement}.{field}"


def _check_metric(metric) -> None:
    if not isinstance(metric, str) or not 0 < len(metric) <= MAX_METRIC_CHARS:
        raise ReadingRejected(f"metric must be a string of 1 to {MAX_METRIC_CHARS} characters")
    if not metric.isprintable():
        raise ReadingRejected("metric contains control characters")


def _check_value(value) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise ReadingRejected("integer value out of int64 range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ReadingRejected("value must be a finite number")
    elif isinstance(value, str):
        if len(value) > MAX_STRING_VALUE_CHARS:
            raise ReadingRejected(f"string value longer than {MAX_STRING_VALUE_CHARS} characters")
    else:
        raise ReadingRejected("value must be a number, a boolean or a string")


def _check_time(ts_ns, now: int) -> None:
    if isinstance(ts_ns, bool) or not isinstance(ts_ns, int):
        raise ReadingRejected("timestamp must be an integer number of nanoseconds")
    if ts_ns < now - settings.TELEMETRY_MAX_AGE_SECONDS * NS_PER_SECOND:
        raise ReadingRejected(f"timestamp older than {settings.TELEMETRY_MAX_AGE_SECONDS} s")
    if ts_ns > now + settings.TELEMETRY_MAX_FUTURE_SECONDS * NS_PER_SECOND:
        raise ReadingRejected(f"timestamp more than {settings.TELEMETRY_MAX_FUTURE_SECONDS} s in the future")


def _check_tags(tags) -> None:
    if tags is None:
        return
    if not isinstance(tags, dict) or len(tags) > MAX_TAGS:
        raise ReadingRejected(f"tags must be an object of at most {MAX_TAGS} strings")
    for key, value in tags.items():
        if not (isinstance(value, str) and 0 < len(key) <= MAX_TAG_CHARS and len(value) <= MAX_TAG_CHARS):
            raise ReadingRejected(f"each tag must be a string of at most {MAX_TAG_CHARS} characters")
        if key[0] == "$":
            # MongoDB refuses such keys: refused here, the sender learns why at once.
            raise ReadingRejected("tag names must not start with $")


def reading_make(sensor_id: int, metric, ts_ns, value, seq=0, tags=None, *, now: int | None = None) -> list:
    """Validate one reading and return its wire form, or raise ReadingRejected with the reason."""
    _check_metric(metric)
    _check_value(value)
    _check_time(ts_ns, now_ns() if now is None else now)
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= INT64_MAX:
        raise ReadingRejected("seq must be an integer from 0 to 2^63-1")
    _check_tags(tags)
    return [sensor_id, metric, ts_ns, value, seq, tags or None]


def readings_from_point(sensor_id: int, point: Point, *, now: int | None = None) -> list[list]:
    """The readings of one parsed line-protocol point: one per field, sharing its tags and time.

    The same rules as reading_make, checked once per point rather than once per field, and only those
    the strict parser does not already guarantee (it refuses NaN, infinity, empty names and control
    characters): this runs for every line the listener and the write endpoints receive.
    """
    now = now_ns() if now is None else now
    ts_ns = now if point.timestamp_ns is None else point.timestamp_ns
    _check_time(ts_ns, now)
    tags = point.tags or None
    if tags is not None:
        _check_tags(tags)
    measurement = point.measurement
    if not measurement.isprintable():
        raise ReadingRejected("metric contains control characters")
    readings = []
    for field, value in point.fields.items():
        metric = measurement if field == PLAIN_FIELD else f"{measurement}.{field}"
        if len(metric) > MAX_METRIC_CHARS or not field.isprintable():
            _check_metric(metric)
        kind = type(value)
        # `value - value` is 0.0 for every finite float and NaN for NaN and infinity: one cheap test.
        if (
            (kind is float and value - value != 0.0)
            or (kind is int and not -INT64_MAX - 1 <= value <= INT64_MAX)
            or (kind is str and len(value) > MAX_STRING_VALUE_CHARS)
        ):
            _check_value(value)
        readings.append([sensor_id, metric, ts_ns, value, 0, tags])
    return readings
