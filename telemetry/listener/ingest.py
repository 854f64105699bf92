"""The listener's ingest thread: read UDP, take TCP lines, then authenticate, parse, map and batch by count and time."""

import collections
import contextlib
import logging
import queue
import select
import socket
import threading
import time
from dataclasses import dataclass

from django.db import connections

from telemetry.lineprotocol import LineProtocolError, parse_line
from telemetry.listener.auth import Authenticator, AuthRejected
from telemetry.listener.udp import udp_drain
from telemetry.readings import ReadingRejected, now_ns, readings_from_point
from telemetry.services.rejects import UNKNOWN_SENSOR

logger = logging.getLogger("telemetry.listener")

# TCP lines waiting for the ingest thread; past this the event loop drops (and counts) rather than grow
# memory. UDP needs no such cap: unread datagrams wait in the kernel's bounded receive buffer.
MAX_PENDING_LINES = 200_000
# The longest prefix accepted: an ingest token is 56 characters, an HMAC prefix at most 67.
MAX_PREFIX_BYTES = 80
MAX_REASONS_LOGGED = 5
# The parser's cache of heads and field keys, kept across lines since a sensor repeats both: bounded
# by entries and by the length of the lines it learns from, so made-up heads cost at most a few MB.
MAX_SEEN_ENTRIES = 2000
MAX_SEEN_LINE_BYTES = 1024


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
    """Reads the UDP socket itself; TCP lines come in through `put` (event loop thread, cheap).

    Batches go out on `out` for the writer thread.
    """

    def __init__(
        self, *, out: queue.SimpleQueue, batch_size: int, flush_seconds: float, counters: Counters, max_datagram: int
    ):
        self.out = out
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.counters = counters
        self.max_datagram = max_datagram
        self.auth = Authenticator()
        self.parse_cache: dict = {}
        self.readings: list = []
        self._rejects: dict[int, list] = {}
        self._deadline = 0.0
        self._udp: socket.socket | None = None
        # TCP lines and receiver-side rejects; a deque, since only this thread takes from it.
        self._inbox: collections.deque = collections.deque()
        # Wakes the ingest thread's poll when the event loop adds to the inbox, or at stop.
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._woken = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="listener-ingest", daemon=True)

    def start(self, udp: socket.socket) -> None:
        self._udp = udp
        self._thread.start()

    def stop(self) -> None:
        """Finish what the sockets already hold, flush the partial batch, then end the thread."""
        self._stopping = True
        self._wake()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._wake_read.close()
        self._wake_write.close()

    def put(self, line: bytes) -> None:
        if len(self._inbox) >= MAX_PENDING_LINES:
            self.counters.overloaded += 1
            return
        self._inbox.append(line)
        self._wake()

    def reject(self, sensor_id: int, reason: str) -> None:
        """Count one line the event loop refused itself (a TCP line past the limit), in the ingest thread."""
        self._inbox.append((sensor_id, reason))
        self._wake()

    def _wake(self) -> None:
        # One byte per wake-up, not per line: the flag is cleared before the inbox is drained, so a line
        # added after the drain always finds it clear and sends a byte.
        if not self._woken:
            self._woken = True
            # OSError: stopped, or the pair's buffer is full of wake-ups already.
            with contextlib.suppress(OSError):
                self._wake_write.send(b"\0")

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._udp, select.POLLIN)
        poller.register(self._wake_read, select.POLLIN)
        try:
            while not self._stopping:
                if not self._step():
                    pending = self.readings or self._rejects
                    timeout = max(0.0, self._deadline - time.monotonic()) if pending else None
                    poller.poll(None if timeout is None else timeout * 1000)
            # Stopping: what the kernel and the inbox hold already, once, so stop stays prompt under a flood.
            self._step()
            self.flush()
        finally:
            connections.close_all()  # this thread's connections, so a test database can be dropped

    def _step(self) -> bool:
        """One round of reading; True if there may be more to read right away."""
        more = udp_drain(self._udp, self, self.max_datagram)
        if self._woken:
            self._woken = False
            with contextlib.suppress(BlockingIOError):
                self._wake_read.recv(4096)
        inbox = self._inbox
        while inbox:
            item = inbox.popleft()
            if type(item) is tuple:
                self.count_reject(*item)
            else:
                self.line(item)
            if len(self.readings) >= self.batch_size:
                self.flush()
        if (self.readings or self._rejects) and time.monotonic() >= self._deadline:
            self.flush()
        return more

    def line(self, raw: bytes) -> None:
        """Authenticate, parse and map one line; its readings join the batch or it is counted as refused."""
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
            seen = self.parse_cache
            if len(seen) >= MAX_SEEN_ENTRIES:
                seen.clear()
            point = parse_line(line, seen=seen if len(line) <= MAX_SEEN_LINE_BYTES else None)
            if signed and point.timestamp_ns is None:
                # Without its own time a replayed datagram would become a new reading: see the docs.
                raise ReadingRejected("hmac-signed lines must carry a timestamp")
            readings = readings_from_point(sensor_id, point, now=now)
        except (AuthRejected, LineProtocolError, ReadingRejected) as exc:
            self.count_reject(sensor_id, str(exc))
            return
        except Exception:
            # A database hiccup or a bug must cost one line, never the listener.
            logger.exception("listener: unexpected error on a line; line dropped")
            self.count_reject(sensor_id, "internal error")
            return
        if not self.readings and not self._rejects:
            self._deadline = time.monotonic() + self.flush_seconds
        self.readings.extend(readings)
        self.counters.readings += len(readings)

    def count_reject(self, sensor_id: int, reason: str) -> None:
        if not self.readings and not self._rejects:
            self._deadline = time.monotonic() + self.flush_seconds
        self.counters.rejected += 1
        entry = self._rejects.setdefault(sensor_id, [0, reason, {}])
        entry[0] += 1
        entry[1] = reason
        # Each distinct reason with its count, for the log line; bounded, since reasons may quote input.
        if reason in entry[2] or len(entry[2]) < MAX_REASONS_LOGGED:
            entry[2][reason] = entry[2].get(reason, 0) + 1

    def flush(self) -> None:
        if self.readings or self._rejects:
            self.counters.batches += 1
            self.out.put(Outgoing(self.readings, self._rejects))
        self.readings, self._rejects = [], {}
