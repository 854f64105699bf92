"""Forwarded line protocol, turned into readings by a worker: parse, check, count what is refused.

The socket listener forwards text instead of parsed readings, because parsing costs several times
what receiving does and workers scale where the one listener cannot: one line per record, [sensor id,
received at (ns), signed, text]. A record of five items holds a whole body and its precision
(forwarded_body). A record keeps its producer's clock, so it is judged (default timestamp, age
limits) as at the moment it arrived, however long it waited on the broker or the spool. Plain text
(telemetry.lineprotocol.plain) is parsed in columns straight into a SeriesBatch; anything else line
by line, every fault named and counted.
"""

import logging

from django.conf import settings

from telemetry.buckets import SeriesBatch, tags_canonical
from telemetry.lineprotocol import PRECISIONS, LineProtocolError, parse_line, parse_lines
from telemetry.lineprotocol.plain import plain_columns
from telemetry.readings import INT64_MAX, NS_PER_SECOND, PLAIN_FIELD, ReadingRejected, readings_from_point
from telemetry.services.rejects import UNKNOWN_SENSOR, RejectTally

# Rejects are logged under the listener's name: its operators look there for what their devices send.
logger = logging.getLogger("telemetry.listener")

# The parser's cache of heads and field keys, kept across a batch's lines since a sensor repeats both:
# bounded by entries and by the length of the lines it learns from, so made-up heads cost at most a few MB.
MAX_SEEN_ENTRIES = 2000
MAX_SEEN_LINE_BYTES = 1024


def forwarded_line(sensor_id: int, received_ns: int, signed: bool, text: str) -> list:
    """The form in which the listener hands a line on (JSON-friendly, and without its credential)."""
    return [sensor_id, received_ns, signed, text]


def forwarded_body(sensor_id: int, received_ns: int, text: str, precision: str) -> list:
    """A whole body of lines with its precision, as one record (what forwarded_line is for one line)."""
    return [sensor_id, received_ns, False, text, precision]


def _valid_record(item) -> bool:
    """True for what forwarded_line and forwarded_body make; a damaged task must cost its records, not the batch."""
    if type(item) is not list or not 4 <= len(item) <= 5:
        return False
    sensor_id, received_ns, signed, text = item[:4]
    return (
        type(sensor_id) is int
        and sensor_id > 0
        and type(received_ns) is int
        and 0 < received_ns <= INT64_MAX
        and type(signed) is bool
        and type(text) is str
        and (len(item) == 4 or (item[4] in PRECISIONS and not signed))
    )


class LineParser:
    """Parses one batch of forwarded records; what it refuses is tallied in `rejects` for one report."""

    def __init__(self) -> None:
        self.cache: dict = {}
        self.rejects = RejectTally()

    def into(self, records: list, batch: SeriesBatch) -> None:
        """Add every good line's readings to `batch`, in order; each bad line is counted with its reason."""
        if type(records) is not list:
            self.rejects.add(UNKNOWN_SENSOR, "malformed batch of forwarded lines")
            return
        for run in _runs(records):
            if len(run) > 1 and _plain_run_into(run, batch):
                continue
            for item in run:
                if not _valid_record(item):
                    self.rejects.add(UNKNOWN_SENSOR, "malformed forwarded line")
                elif not (not item[2] and _plain_into(item, batch)):
                    batch.add_readings(self._exact(item))

    def readings(self, records: list) -> list[list]:
        """The wire-form readings of every good line, in order, parsed line by line (the exact path)."""
        if type(records) is not list:
            self.rejects.add(UNKNOWN_SENSOR, "malformed batch of forwarded lines")
            return []
        readings: list[list] = []
        for item in records:
            if _valid_record(item):
                readings += self._exact(item)
            else:
                self.rejects.add(UNKNOWN_SENSOR, "malformed forwarded line")
        return readings

    def _exact(self, item: list) -> list[list]:
        sensor_id, received_ns, signed, text = item[:4]
        if len(item) == 5:
            return self._body(sensor_id, received_ns, text, item[4])
        try:
            return self._line(sensor_id, received_ns, signed, text)
        except (LineProtocolError, ReadingRejected) as exc:
            self.rejects.add(sensor_id, str(exc))
            return []

    def _body(self, sensor_id: int, received_ns: int, text: str, precision: str) -> list[list]:
        points, errors = parse_lines(text.encode(), precision=precision, now_ns=received_ns)
        for error in errors:
            self.rejects.add(sensor_id, error.reason)
        readings = []
        for point in points:
            try:
                readings += readings_from_point(sensor_id, point, now=received_ns)
            except ReadingRejected as exc:
                self.rejects.add(sensor_id, str(exc))
        return readings

    def _line(self, sensor_id: int, received_ns: int, signed: bool, text: str) -> list[list]:
        seen = self.cache
        if len(seen) >= MAX_SEEN_ENTRIES:
            seen.clear()
        point = parse_line(text, seen=seen if len(text) <= MAX_SEEN_LINE_BYTES else None)
        if signed and point.timestamp_ns is None:
            # Without its own time a replayed datagram would become a new reading: see the docs.
            raise ReadingRejected("hmac-signed lines must carry a timestamp")
        return readings_from_point(sensor_id, point, now=received_ns)


def plain_series(
    text: str, *, received_ns: int, precision: str, last_received_ns: int | None = None
) -> list[tuple[str, dict, list, list]] | None:
    """(metric, tags, times, values) per series of a plain body, judged as at `received_ns`, or None.

    None sends the body to the exact path: outside the plain subset, a line too old or too far in the
    future (the exact path names it), or two heads naming one series with their tags in another order
    (the exact path keeps their lines' order, so that the later line wins). Lines that arrived between
    `received_ns` and `last_received_ns` (a run of listener lines) are judged by the strictest of both.
    """
    factor = PRECISIONS[precision]
    columns = plain_columns(text, factor, received_ns - received_ns % factor)
    if columns is None:
        return None
    oldest = (last_received_ns or received_ns) - settings.TELEMETRY_MAX_AGE_SECONDS * NS_PER_SECOND
    newest = received_ns + settings.TELEMETRY_MAX_FUTURE_SECONDS * NS_PER_SECOND
    times = {id(column[3]): column[3] for column in columns}.values()
    if min(map(min, times)) < oldest or max(map(max, times)) > newest:
        return None
    heads = {id(tags): (measurement, tags) for measurement, tags, *_ in columns}.values()
    if len({(measurement, tags_canonical(tags)) for measurement, tags in heads}) != len(heads):
        return None
    return [
        (measurement if key == PLAIN_FIELD else f"{measurement}.{key}", tags, times_ns, values)
        for measurement, tags, key, times_ns, values in columns
    ]


def _runs(records: list) -> list[list]:
    """The records cut into runs of consecutive listener lines of one sensor, not signed; others alone."""
    runs: list[list] = []
    joining = None  # the sensor of the run being built, while it can take more lines
    for item in records:
        joinable = _valid_record(item) and len(item) == 4 and not item[2]
        if joinable and joining == item[0]:
            runs[-1].append(item)
        else:
            runs.append([item])
            joining = item[0] if joinable else None
    return runs


def _plain_run_into(run: list[list], batch: SeriesBatch) -> bool:
    """Parse a run of one sensor's listener lines as one plain body; False, `batch` untouched, if it is not.

    A line without a timestamp gets its own arrival time written in (what the exact path gives it), so
    lines that arrived at different moments read as one body.
    """
    if not all(_valid_record(item) and item[3].count(" ") in (1, 2) for item in run):
        return False
    text = "\n".join(item[3] if item[3].count(" ") == 2 else f"{item[3]} {item[1]}" for item in run)
    arrivals = [item[1] for item in run]
    series = plain_series(text, received_ns=min(arrivals), precision="ns", last_received_ns=max(arrivals))
    if series is None:
        return False
    for metric, tags, times, values in series:
        batch.series_for(run[0][0], metric, tags or None).extend(times, values)
        batch.count += len(times)
    return True


def _plain_into(item: list, batch: SeriesBatch) -> bool:
    """Parse a plain record in columns into `batch`; False, with `batch` untouched, for the exact path."""
    sensor_id, received_ns, _signed, text = item[:4]
    series = plain_series(text, received_ns=received_ns, precision=item[4] if len(item) == 5 else "ns")
    if series is None:
        return False
    for metric, tags, times, values in series:
        batch.series_for(sensor_id, metric, tags or None).extend(times, values)
        batch.count += len(times)
    return True
