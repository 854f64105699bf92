"""The JSON batch format: a list of `{"sensor", "metric", "value", "ts", "seq", "tags"}` objects.

`ts` is an RFC 3339 string with an offset (nanoseconds kept) or epoch seconds (a float is fine),
absent or null for the server's clock; `seq` defaults to 0; `sensor` may be left out with a sensor
token. Each entry is validated on its own: a bad one is rejected with its index, the rest go on.
"""

import json
import math
import re
from datetime import datetime
from decimal import Decimal

from telemetry.ingest.auth import IngestPrincipal
from telemetry.ingest.batch import Batch, Rejection, batch_check_size
from telemetry.ingest.errors import IngestRefused
from telemetry.readings import NS_PER_SECOND, ReadingRejected, reading_make
from telemetry.services.rejects import UNKNOWN_SENSOR

KEYS = frozenset(("sensor", "metric", "value", "ts", "seq", "tags"))
RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def _timestamp_ns(ts, now: int) -> int:
    if ts is None:
        return now
    if isinstance(ts, str):
        match = RFC3339.fullmatch(ts)
        if match is None:
            raise ReadingRejected("ts must be RFC 3339 with an offset (2026-01-31T12:00:00.5Z) or epoch seconds")
        day, clock, fraction, offset = match.groups()
        try:
            moment = datetime.fromisoformat(f"{day}T{clock}{'+00:00' if offset in 'Zz' else offset}")
        except ValueError:
            raise ReadingRejected("ts is not a real date and time") from None
        seconds = (moment - EPOCH).days * 86400 + (moment - EPOCH).seconds
        return seconds * NS_PER_SECOND + int((fraction or "0").ljust(9, "0"))
    if isinstance(ts, int) and not isinstance(ts, bool):
        return ts * NS_PER_SECOND
    if isinstance(ts, float) and math.isfinite(ts):
        # The float's shortest decimal form, scaled exactly: 1.7e9 + 0.123 s is 1700000000123000000 ns.
        return int(Decimal(repr(ts)) * NS_PER_SECOND)
    raise ReadingRejected("ts must be an RFC 3339 string or a finite number of epoch seconds")


def _entries(body: bytes) -> list:
    try:
        entries = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers invalid UTF-8, bad JSON and integers too long to convert.
        raise IngestRefused("The body is not valid JSON.") from None
    if not isinstance(entries, list):
        raise IngestRefused("The body must be a JSON list of readings.")
    return entries


def _sensor_of(entry, principal: IngestPrincipal):
    sensor = entry.get("sensor", principal.sensor_id)
    if isinstance(sensor, bool) or not isinstance(sensor, int):
        raise ReadingRejected("sensor must be a sensor id (an integer)")
    return sensor


def json_batch(body: bytes, principal: IngestPrincipal, *, now: int) -> Batch:
    """Parse and validate a JSON batch; raises IngestRefused when the body as a whole is unusable."""
    entries = _entries(body)
    batch_check_size(len(entries))
    named = [e.get("sensor") for e in entries if isinstance(e, dict)]
    writable = principal.writable({s for s in named if type(s) is int})
    if principal.sensor_id is not None:
        writable.add(principal.sensor_id)
    batch = Batch()
    for index, entry in enumerate(entries):
        sensor = UNKNOWN_SENSOR
        try:
            if not isinstance(entry, dict):
                raise ReadingRejected("each reading must be a JSON object")
            if unknown := entry.keys() - KEYS:
                raise ReadingRejected(f"unknown key {sorted(unknown)[0][:40]!r}")
            sensor = _sensor_of(entry, principal)
            if sensor not in writable:
                sensor = UNKNOWN_SENSOR
                raise ReadingRejected("this token may not write that sensor (unknown, disabled or not yours)")
            ts_ns = _timestamp_ns(entry.get("ts"), now)
            tags = entry.get("tags")
            reading = reading_make(
                sensor, entry.get("metric"), ts_ns, entry.get("value"), entry.get("seq", 0), tags, now=now
            )
        except ReadingRejected as exc:
            batch.rejections.append(Rejection(index, str(exc), sensor))
        else:
            batch.readings.append(reading)
    return batch
