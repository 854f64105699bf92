"""The UDP side of the listener: open the socket, and read what the kernel holds straight into the ingest thread."""

import logging
import socket

from telemetry.services.rejects import UNKNOWN_SENSOR

logger = logging.getLogger("telemetry.listener")

# Room for bursts while the ingest thread catches up; the kernel may cap it (net.core.rmem_max).
UDP_RECEIVE_BUFFER = 32 * 1024 * 1024
# Datagrams read in one go before the ingest thread looks at the clock and at TCP lines again.
DRAIN_BUDGET = 256


def udp_socket_open(host: str, port: int) -> socket.socket:
    """A bound, non-blocking UDP socket with a large receive buffer; raises OSError (nothing left open)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    # Non-blocking: a read costs one recvfrom and no poll; the ingest thread polls only when it is idle.
    sock.setblocking(False)
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    if granted < UDP_RECEIVE_BUFFER:
        logger.warning("listener: UDP receive buffer is %d bytes (raise net.core.rmem_max for more)", granted)
    return sock


def udp_drain(sock: socket.socket, ingest, max_datagram: int) -> bool:
    """Hand up to DRAIN_BUDGET waiting datagrams to `ingest`, line by line; True if more may be waiting.

    No queue between receiving and parsing: while the ingest thread is busy, datagrams wait in the
    kernel's buffer, which bounds memory (and the kernel counts what overflows it as RcvbufErrors).
    """
    recv = sock.recv
    line = ingest.line
    counters = ingest.counters
    batch_size = ingest.batch_size
    # One byte past the limit tells an oversized datagram from one exactly at it.
    size = max_datagram + 1
    for _ in range(DRAIN_BUDGET):
        try:
            data = recv(size)
        except BlockingIOError:
            return False
        except OSError:
            # Closed under us at shutdown, or an ICMP error queued on the socket: nothing to read now.
            return False
        if len(data) > max_datagram:
            ingest.count_reject(UNKNOWN_SENSOR, f"datagram larger than {max_datagram} bytes")
        elif b"\n" in data:
            # A datagram may carry several lines; each is authenticated on its own.
            for part in data.split(b"\n"):
                if part.strip():
                    line(part)
        else:
            line(data)
        counters.datagrams += 1
        if len(ingest.pending) >= batch_size:
            ingest.flush()
    return True
