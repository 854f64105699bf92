"""A real gunicorn with config/gunicorn.conf.py: a process takes a connection only while it has a free thread,
so a request never waits behind another in a busy process while a second process is idle."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack import ports
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
# gthread's wait for a first request byte before it hands the connection back to its poller.
IDLE_HOLD_SECONDS = 5.0
REQUESTS = 12


def _get(port: int, path: str = "/healthz") -> tuple[float, bytes]:
    """Seconds to a whole answer on a new connection, and the raw response (read until the server closes)."""
    started = time.monotonic()
    with socket.create_connection((ports.LOOPBACK, port), timeout=15) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return time.monotonic() - started, b"".join(chunks)


@pytest.fixture
def two_single_thread_workers(tmp_path):
    port = ports.free_port()
    env = os.environ | {"PORT": str(port), "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as sink:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        # Both workers booted and answering, so neither is still importing Django when the test starts.
        wait_until(lambda: log.read_text(errors="replace").count("Booting worker") >= 2, timeout=90)
        wait_until(lambda: _answers(port), timeout=90)
        for _ in range(4):
            _get(port)
        yield port
    finally:
        web.terminate()
        web.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        return _get(port)[1].startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def test_a_busy_process_leaves_new_connections_to_a_free_one_and_keeps_none_alive(two_single_thread_workers):
    port = two_single_thread_workers
    # A client that connects and says nothing holds the thread of whichever process accepted it.
    with socket.create_connection((ports.LOOPBACK, port)) as idle:
        time.sleep(0.3)
        answered = [_get(port) for _ in range(REQUESTS)]
        # The server gives up on the silent client once its wait for data ends: it holds no thread for long.
        idle.settimeout(IDLE_HOLD_SECONDS * 3)
        assert idle.recv(1) == b"", "a silent connection must be closed by the server"

    for seconds, response in answered:
        head = response.split(b"\r\n\r\n", 1)[0].lower()
        assert head.startswith(b"http/1.1 200"), response[:200]
        assert b"connection: close" in head, head
        # Had the busy process accepted it, the request would have waited out the silent client (5 s).
        assert seconds < IDLE_HOLD_SECONDS / 2, f"a request waited {seconds:.1f} s behind a busy thread"
