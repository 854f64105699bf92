"""The listener's ingest thread: authenticate, parse and map each received line, batch by count and time."""

import logging
import queue
import threading
import time
from dataclasses import dataclass

from django.db import connections

from telemetry.lineprotocol import LineProtocolError, parse_line
from telemetry.listener.auth import Authenticator, AuthRejected
from telemetry.readings import ReadingRejected, now_ns, readings_from_point
from telemetry.services.rejects import UNKNOWN_SENSOR

logger = logging.getLogger("telemetry.listener")

# Lines waiting for the ingest thread; past this the receiver drops (and counts) rather than grow memory.
MAX_PENDING_LINES = 200_000
# The longest prefix accepted: an ingest token is 56 characters, an HMAC prefix at most 67.
MAX_PREFIX_BYTES = 80
MAX_REASONS_LOGGED = 5


@dataclass
class Counters:
    """What the listener saw. Each field is written by one thread only, so plain ints are enough."""

    datagrams: int = 0
    tcp_lines: int = 0
    lines: int = 0
    readings: int = 0
    rejected: int = 0
    overloaded: int = 0
    batches: int = 0


@dataclass
class Outgoing:
    """One flush: readings for the broker and {sensor_id: [rejected, latest reason, {reason: count}]}."""

    readings: list
    rejects: dict


class Ingest:
    """Lines go in through `put` (any thread, cheap); batches come out on `out` for the writer."""

    def __init__(self, *, out: queue.SimpleQueue, batch_size: int, flush_seconds: float, counters: Counters):
        self.out = out
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.counters = counters
        self.auth = Authenticator()
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._readings: list = []
        self._rejects: dict[int, list] = {}
        self._deadline = 0.0
        self._thread = threading.Thread(target=self._run, name="listener-ingest", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._inbox.put(None)
        self._thread.join(timeout=30)

    def put(self, line: bytes) -> None:
        if self._inbox.qsize() >= MAX_PENDING_LINES:
            self.counters.overloaded += 1
            return
        self._inbox.put(line)

    def reject(self, sensor_id: int, reason: str) -> None:
        """Count one refused line (also for the receiver, about a datagram or a TCP line it refused itself)."""
        self._inbox.put((sensor_id, reason))

    def _run(self) -> None:
        while True:
            timeout = max(0.0, self._deadline - time.monotonic()) if self._readings or self._rejects else None
            try:
                item = self._inbox.get(timeout=timeout)
            except queue.Empty:
                self._flush()
                continue
            if item is None:
                self._flush()
                connections.close_all()  # this thread's connections, so a test database can be dropped
                return
            if type(item) is tuple:
                self._count_reject(*item)
            else:
                self._line(item)
            if len(self._readings) >= self.batch_size:
                self._flush()

    def _line(self, raw: bytes) -> None:
        self.counters.lines += 1
        sensor_id = UNKNOWN_SENSOR
        try:
            prefix, space, line = raw.partition(b" ")
            if not space or len(prefix) > MAX_PREFIX_BYTES:
                raise AuthRejected("line must start with an ingest token or hmac: prefix and a space")
            if line.endswith(b"\r"):
                line = line[:-1]
            sensor_id, signed = self.auth.sensor_for(prefix, line)
            now = now_ns()
            point = parse_line(line)
            if signed and point.timestamp_ns is None:
                # Without its own time a replayed datagram would become a new reading: see the docs.
                raise ReadingRejected("hmac-signed lines must carry a timestamp")
            readings = readings_from_point(sensor_id, point, now=now)
        except (AuthRejected, LineProtocolError, ReadingRejected) as exc:
            self._count_reject(sensor_id, str(exc))
            return
        except Exception:
            # A database hiccup or a bug must cost one line, never the listener.
            logger.exception("listener: unexpected error on a line; line dropped")
            self._count_reject(sensor_id, "internal error")
            return
        if not self._readings and not self._rejects:
            self._deadline = time.monotonic() + self.flush_seconds
        self._readings.extend(readings)
        self.counters.readings += len(readings)

    def _count_reject(self, sensor_id: int, reason: str) -> None:
        if not self._readings and not self._rejects:
            self._deadline = time.monotonic() + self.flush_seconds
        self.counters.rejected += 1
        entry = self._rejects.setdefault(sensor_id, [0, reason, {}])
        entry[0] += 1
        entry[1] = reason
        # Each distinct reason with its count, for the log line; bounded, since reasons may quote input.
        if reason in entry[2] or len(entry[2]) < MAX_REASONS_LOGGED:
            entry[2][reason] = entry[2].get(reason, 0) + 1

    def _flush(self) -> None:
        if self._readings or self._rejects:
            self.counters.batches += 1
            self.out.put(Outgoing(self._readings, self._rejects))
        self._readings, self._rejects = [], {}
