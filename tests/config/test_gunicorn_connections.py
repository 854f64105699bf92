"""A real gunicorn with config/gunicorn.conf.py: connections are kept alive between requests; clients that connect and
say nothing hold no thread for long, so a request never waits behind them; and a client that asks for its connection
to be closed but keeps its socket open, or sends a body nobody reads, holds up no one and loses no answer."""

import os
import socket
import time

import psutil
import pytest

from config.gunicornworker import FIRST_BYTE_SECONDS, LINGER_MAX_BYTES, LINGER_SECONDS
from devstack import ports
from tests import processes
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

# gunicorn's own wait for a first request byte on a thread (the worker waits FIRST_BYTE_SECONDS instead).
IDLE_HOLD_SECONDS = 5.0
REQUESTS = 12
KEEPALIVE_SECONDS = 5.0


def _get(port: int, path: str = "/healthz") -> tuple[float, bytes]:
    """Seconds to a whole answer on a new connection, and the answer's head."""
    started = time.monotonic()
    with socket.create_connection((ports.LOOPBACK, port), timeout=15) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n".encode())
        head = _answer_on(sock)
    return time.monotonic() - started, head


def _serve(tmp_path, *, workers: int, threads: int):
    """gunicorn on a free port with `workers` processes of `threads` threads, every one booted and answering."""
    port = ports.free_port()
    env = os.environ | {
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "gunicorn.log"
    web = processes.web_server(env, log)
    try:
        # Every worker booted, so none is still importing Django when the test starts.
        wait_until(lambda: log.read_text(errors="replace").count("Booting worker") >= workers, timeout=90)
        wait_until(lambda: _answers(port), timeout=90)
        for _ in range(4):
            _get(port)
        yield port, psutil.Process(web.pid)
    finally:
        web.terminate()
        web.wait(timeout=30)


@pytest.fixture
def two_single_thread_workers(tmp_path):
    yield from _serve(tmp_path, workers=2, threads=1)


@pytest.fixture
def one_worker(tmp_path):
    yield from _serve(tmp_path, workers=1, threads=2)


def _answers(port: int) -> bool:
    try:
        return _get(port)[1].startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def test_silent_clients_hold_no_thread_and_answered_connections_are_kept_alive(two_single_thread_workers):
    port, _ = two_single_thread_workers
    # A client that connects and says nothing: gunicorn's own gthread held a thread 5 s for it; here it waits on the
    # poller, and its process (at its one connection) leaves new ones to the other.
    silent = [socket.create_connection((ports.LOOPBACK, port))]
    try:
        time.sleep(0.3)
        answered = [_get(port) for _ in range(REQUESTS)]
        # The server gives up on a silent client once its keep-alive time ends: none is held for long.
        for idle in silent:
            idle.settimeout(KEEPALIVE_SECONDS * 3)
            assert idle.recv(1) == b"", "a silent connection must be closed by the server"
    finally:
        for idle in silent:
            idle.close()

    for seconds, head in answered:
        assert head.lower().startswith(b"http/1.1 200"), head
        assert b"connection: close" not in head.lower(), head
        # Had a silent client held the thread, the request would have waited out gunicorn's 5 s.
        assert seconds < FIRST_BYTE_SECONDS + IDLE_HOLD_SECONDS / 4, f"a request waited {seconds:.1f} s"


def test_a_browser_page_closes_its_connection_after_the_answer(one_worker):
    port, _ = one_worker
    with socket.create_connection((ports.LOOPBACK, port), timeout=10) as sock:
        sock.sendall(b"GET /accounts/login/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
        head = _answer_on(sock)
        assert head.startswith(b"HTTP/1.1 200"), head
        assert b"connection: close" in head.lower(), head


def test_a_kept_alive_connection_serves_request_after_request(one_worker):
    port, _ = one_worker
    with socket.create_connection((ports.LOOPBACK, port), timeout=10) as sock:
        for _ in range(5):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            head = _answer_on(sock)
            assert head.startswith(b"HTTP/1.1 200"), head
            assert b"connection: close" not in head.lower(), head


def _answer_on(sock: socket.socket) -> bytes:
    """Read one response to its end (headers and Content-Length), leaving the connection as the server left it."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(
        next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def _client_sockets(server: psutil.Process, port: int) -> list:
    """The connections any process of this gunicorn still holds to clients on `port`."""
    return [
        conn
        for process in [server, *server.children()]
        for conn in process.net_connections(kind="tcp")
        if conn.laddr and conn.laddr.port == port and conn.raddr
    ]


def test_a_client_keeping_its_socket_open_after_the_answer_holds_up_no_one(one_worker):
    port, server = one_worker
    held = []
    try:
        # Clients that ask for the connection to be closed, read their answer and then neither close nor send again.
        for _ in range(3):
            sock = socket.create_connection((ports.LOOPBACK, port), timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert _answer_on(sock).startswith(b"HTTP/1.1 200")
            held.append(sock)
        # gunicorn's own close waits for each of them on the process's only event loop, 2 s apiece.
        for seconds, response in [_get(port) for _ in range(3)]:
            assert response.startswith(b"HTTP/1.1 200"), response[:200]
            assert seconds < LINGER_SECONDS / 2, f"a request waited {seconds:.1f} s behind a lingering close"
        # Each held client was told the server is done (FIN) at once ...
        for sock in held:
            sock.settimeout(LINGER_SECONDS / 2)
            assert sock.recv(1) == b""
        # ... and its socket is released on the server within the linger bound, though the client never closes.
        assert wait_until(lambda: not _client_sockets(server, port), timeout=LINGER_SECONDS + 2.5)
    finally:
        for sock in held:
            sock.close()


def test_a_request_body_nobody_reads_is_drained_so_the_answer_arrives_whole(one_worker):
    port, _ = one_worker
    # /healthz never reads a body: the unread bytes sit in the server's receive buffer when it closes, and a
    # close without draining them makes the kernel reset the connection, which can destroy the answer unread.
    body = b"x" * (LINGER_MAX_BYTES // 2)
    for _ in range(5):
        with socket.create_connection((ports.LOOPBACK, port), timeout=10) as sock:
            sock.sendall(
                b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                b"Content-Type: application/octet-stream\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
            )
            time.sleep(0.2)  # the answer and the server's close happen before the client reads anything
            head = _answer_on(sock)
            assert head.split(b"\r\n")[0].split(b" ")[1].isdigit(), head
            assert sock.recv(1) == b""
