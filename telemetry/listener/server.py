"""The socket listener: the ingest thread reads UDP itself; asyncio reads TCP lines and passes them to it.

The event loop only receives TCP, splits lines and checks sizes; authentication, parsing and the broker
run in threads (see ingest and writer), so a slow database or broker never stops the sockets being read.
"""

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from telemetry.listener.ingest import Counters, Ingest
from telemetry.listener.spool import Spool
from telemetry.listener.udp import UDP_RECEIVE_BUFFER, udp_socket_open
from telemetry.listener.writer import Writer
from telemetry.services.rejects import UNKNOWN_SENSOR

logger = logging.getLogger("telemetry.listener")

# Datagrams larger than this are refused whole (a line is at most a few kilobytes; several fit).
MAX_DATAGRAM_BYTES = 16 * 1024
# A TCP line longer than this closes the connection: what follows cannot be trusted to start a line.
MAX_TCP_LINE_BYTES = 64 * 1024
MAX_TCP_CONNECTIONS = 256
TCP_IDLE_SECONDS = 300.0
__all__ = ["UDP_RECEIVE_BUFFER", "Limits", "Listener"]


@dataclass(frozen=True)
class Limits:
    max_datagram: int = MAX_DATAGRAM_BYTES
    max_tcp_line: int = MAX_TCP_LINE_BYTES
    max_connections: int = MAX_TCP_CONNECTIONS
    idle_seconds: float = TCP_IDLE_SECONDS


class Listener:
    """Runs the sockets in an event loop of its own; `start` returns once they are bound."""

    def __init__(
        self,
        *,
        host: str | None = None,
        udp_port: int | None = None,
        tcp_port: int | None = None,
        spool_dir: Path | None = None,
        limits: Limits | None = None,
        batch_size: int | None = None,
        flush_ms: int | None = None,
    ):
        self.host = host or settings.TELEMETRY_LISTENER_HOST
        self.udp_port = settings.TELEMETRY_UDP_PORT if udp_port is None else udp_port
        self.tcp_port = settings.TELEMETRY_TCP_PORT if tcp_port is None else tcp_port
        self.limits = limits or Limits()
        self.counters = Counters()
        self.connections = 0
        self.refused_connections = 0
        outgoing: queue.SimpleQueue = queue.SimpleQueue()
        self.spool = Spool(spool_dir or settings.VAR_DIR / "spool", max_bytes=settings.TELEMETRY_SPOOL_MAX_MB << 20)
        self.writer = Writer(inbox=outgoing, spool=self.spool)
        self.ingest = Ingest(
            out=outgoing,
            batch_size=batch_size or settings.TELEMETRY_LISTENER_BATCH,
            flush_seconds=(flush_ms or settings.TELEMETRY_LISTENER_FLUSH_MS) / 1000,
            counters=self.counters,
            max_datagram=self.limits.max_datagram,
        )
        self.udp_address: tuple | None = None
        self.tcp_address: tuple | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._closing: asyncio.Event | None = None
        self._udp = None
        self.start_error = ""

    def start(self) -> None:
        self.writer.start()
        try:
            self._udp = udp_socket_open(self.host, self.udp_port)
        except OSError as exc:
            self.writer.stop()
            raise RuntimeError(self._bind_error(exc)) from None
        self.udp_address = self._udp.getsockname()[:2]
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(),), daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self.tcp_address is None:
            self.stop()
            raise RuntimeError(self.start_error or "the listener did not start; see the log")
        self.ingest.start(self._udp)

    def stop(self) -> None:
        """Close the sockets, then flush what was received to the broker or the spool."""
        if self._closing is not None:
            self._loop.call_soon_threadsafe(self._closing.set)
        if self._thread is not None:
            self._thread.join(timeout=30)
        # The ingest thread reads what the UDP socket still holds before it ends; close it only then.
        self.ingest.stop()
        if self._udp is not None:
            self._udp.close()
        self.writer.stop()

    def _bind_error(self, exc: OSError) -> str:
        return f"{exc.strerror or exc} ({self.host}, UDP {self.udp_port}, TCP {self.tcp_port})"

    async def _serve(self) -> None:
        self._closing = asyncio.Event()
        try:
            server = await asyncio.start_server(
                self._client, self.host, self.tcp_port, limit=self.limits.max_tcp_line, reuse_address=True
            )
            self.tcp_address = server.sockets[0].getsockname()[:2]
        except OSError as exc:
            # Reported by start(), in the caller's thread.
            self.start_error = self._bind_error(exc)
            return
        finally:
            self._ready.set()
        logger.info("listener: UDP on %s:%d, TCP on %s:%d", *self.udp_address, *self.tcp_address)
        async with server:
            await self._closing.wait()
            server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.connections >= self.limits.max_connections:
            self.refused_connections += 1
            logger.warning("listener: refused a TCP connection: %d already open", self.connections)
            writer.close()
            return
        self.connections += 1
        try:
            await self._read_lines(reader)
        finally:
            self.connections -= 1
            writer.close()

    async def _read_lines(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await asyncio.wait_for(reader.readuntil(b"\n"), self.limits.idle_seconds)
            except TimeoutError:
                logger.info("listener: closed a TCP connection idle for %.0f s", self.limits.idle_seconds)
                return
            except asyncio.IncompleteReadError as exc:
                if exc.partial.strip():
                    self.counters.tcp_lines += 1
                    self.ingest.put(exc.partial)
                return
            except asyncio.LimitOverrunError:
                reason = f"TCP line longer than {self.limits.max_tcp_line} bytes; connection closed"
                logger.warning("listener: %s", reason)
                self.ingest.reject(UNKNOWN_SENSOR, reason)
                return
            except (ConnectionError, ValueError):
                # ValueError: StreamReader's "chunk exceed the limit" for a line past the limit too.
                return
            self.counters.tcp_lines += 1
            if line.strip():
                self.ingest.put(line[:-1])
