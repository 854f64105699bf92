"""Lines the socket listener forwards, turned into readings by a worker: parse, check, count what is refused.

The listener only authenticates a line and passes it on as [sensor id, received at (ns), signed, text]:
parsing in Python costs several times what receiving does, and workers scale where the one listener
cannot (docs/telemetry-listener.md). A line keeps the listener's clock, so it is judged (default
timestamp, age limits) as at the moment it arrived, however long it waited on the broker or the spool.
"""

import logging

from telemetry.lineprotocol import LineProtocolError, parse_line
from telemetry.readings import INT64_MAX, ReadingRejected, readings_from_point
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


def _valid_record(item) -> bool:
    """True for what forwarded_line makes; a hand-made or damaged task must cost its lines, not the batch."""
    if type(item) is not list or len(item) != 4:
        return False
    sensor_id, received_ns, signed, text = item
    return (
        type(sensor_id) is int
        and sensor_id > 0
        and type(received_ns) is int
        and 0 < received_ns <= INT64_MAX
        and type(signed) is bool
        and type(text) is str
    )


class LineParser:
    """Parses one batch of forwarded lines; what it refuses is tallied in `rejects` for one report."""

    def __init__(self) -> None:
        self.cache: dict = {}
        self.rejects = RejectTally()

    def readings(self, lines: list) -> list[list]:
        """The wire-form readings of every good line, in order; each bad line is counted with its reason."""
        readings: list[list] = []
        if type(lines) is not list:
            self.rejects.add(UNKNOWN_SENSOR, "malformed batch of forwarded lines")
            return readings
        for item in lines:
            if not _valid_record(item):
                self.rejects.add(UNKNOWN_SENSOR, "malformed forwarded line")
                continue
            sensor_id, received_ns, signed, text = item
            try:
                readings.extend(self._line(sensor_id, received_ns, signed, text))
            except (LineProtocolError, ReadingRejected) as exc:
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
