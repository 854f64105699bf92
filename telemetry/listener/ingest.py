"""The listener's ingest thread: read UDP, take TCP lines, authenticate each and batch it by count and time.

Lines are forwarded unparsed, with their sensor and arrival time, for the workers to parse
(telemetry.services.lines): parsing costs several times what receiving does, and the one listener
must keep up with the socket while workers can be added.
"""

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

from telemetry.listener.auth import Authenticator, AuthRejected
from telemetry.listener.udp import udp_drain
from telemetry.services.rejects import UNKNOWN_SENSOR, RejectTally

logger = logging.getLogger("telemetry.listener")

# TCP lines waiting for the ingest thread; past this the event loop drops (and counts) rather than grow
# memory. UDP needs no such cap: unread datagrams wait in the kernel's bounded receive buffer.
MAX_PENDING_LINES = 200_000
# The longest prefix accepted: an ingest token is 56 characters, an HMAC prefix at most 67.
MAX_PREFIX_BYTES = 80


@dataclass
class Counters:
    """What the listener saw. Each field is written by one thread only, so plain ints are enough."""

    datagrams: int = 0
    tcp_lines: int = 0
    lines: int = 0
    forwarded: int = 0  # authenticated and passed on for a worker to parse (which may still refuse it)
    rejected: int = 0
    overloaded: int = 0
    batches: int = 0


@dataclass
class Outgoing:
    """One flush: forwarded lines for the broker (services.lines.forwarded_line) and the lines refused here."""

    lines: list
    rejects: RejectTally


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
        self.pending: list = []
        self._rejects = RejectTally()
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
                    pending = self.pending or self._rejects
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
            if len(self.pending) >= self.batch_size:
                self.flush()
        if (self.pending or self._rejects) and time.monotonic() >= self._deadline:
            self.flush()
        return more

    def line(self, raw: bytes) -> None:
        """Authenticate one line and queue it for a worker to parse, or count it as refused."""
        self.counters.lines += 1
        sensor_id = UNKNOWN_SENSOR
        try:
            prefix, space, line = raw.partition(b" ")
            if not space or len(prefix) > MAX_PREFIX_BYTES:
                raise AuthRejected("line must start with an ingest token or hmac: prefix and a space")
            if line.endswith(b"\r"):
                line = line[:-1]
            sensor_id, signed = self.auth.sensor_for(prefix, line)
            # Text for the broker's JSON; the parser would refuse these bytes anyway, with the same words.
            text = line.decode()
        except AuthRejected as exc:
            self.count_reject(sensor_id, str(exc))
            return
        except UnicodeDecodeError as exc:
            self.count_reject(sensor_id, f"invalid UTF-8 at byte {exc.start + 1}")
            return
        except Exception:
            # A database hiccup or a bug must cost one line, never the listener.
            logger.exception("listener: unexpected error on a line; line dropped")
            self.count_reject(sensor_id, "internal error")
            return
        if not self.pending and not self._rejects:
            self._deadline = time.monotonic() + self.flush_seconds
        # services.lines.forwarded_line's form, built inline: this runs for every datagram.
        self.pending.append([sensor_id, time.time_ns(), signed, text])
        self.counters.forwarded += 1

    def count_reject(self, sensor_id: int, reason: str) -> None:
        if not self.pending and not self._rejects:
            self._deadline = time.monotonic() + self.flush_seconds
        self.counters.rejected += 1
        self._rejects.add(sensor_id, reason)

    def flush(self) -> None:
        if self.pending or self._rejects:
            self.counters.batches += 1
            self.out.put(Outgoing(self.pending, self._rejects))
            self.pending, self._rejects = [], RejectTally()
