"""Loopback ports: pick a free TCP or UDP one for a server, or tell whether the web port is taken."""

import errno
import socket
import threading

import psutil

LOOPBACK = "127.0.0.1"

# Ports this process has handed out or promised (the web PORT): the kernel may offer a port
# again while its first owner has not bound it yet, so embedded servers and gunicorn could
# otherwise be given the same one.
_taken: set[int] = set()
_taken_lock = threading.Lock()  # the servers start in parallel threads


def reserve(port: int) -> None:
    """Keep `port` (the web port, bound later by gunicorn) out of the embedded servers' choices."""
    with _taken_lock:
        _taken.add(port)


def _free(kind: int, host: str) -> int:
    while True:
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        with _taken_lock:
            if port not in _taken:
                _taken.add(port)
                return port


def free_port(host: str = LOOPBACK) -> int:
    """Return a port nothing listens on right now and not handed out before by this process.

    Another process can still win the race for it; the caller retries with another port then.
    """
    return _free(socket.SOCK_STREAM, host)


def free_udp_port(host: str = LOOPBACK) -> int:
    """Return a UDP port nothing is bound to right now (the telemetry listener's datagrams)."""
    return _free(socket.SOCK_DGRAM, host)


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could bind `host:port` now (SO_REUSEADDR, as gunicorn binds, so TIME_WAIT is fine).

    Other bind errors than "in use" (an address not on this machine, a privileged port) are raised.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def listener_of(port: int) -> psutil.Process | None:
    """The process listening on `port`, when the OS lets us see it (for a more helpful message)."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.Error:
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            try:
                return psutil.Process(conn.pid)
            except psutil.Error:
                return None
    return None


def is_listening(pid: int, port: int) -> bool:
    """Whether process `pid` itself listens on `port`, so a server that lost the bind race is not
    mistaken for ready because another process answers on the same port."""
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in connections)
