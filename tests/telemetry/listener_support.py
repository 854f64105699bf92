"""Helpers for the listener tests: a listener in a thread or a subprocess, senders and HMAC signing."""

import base64
import hashlib
import hmac
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from telemetry.listener.server import Listener
from tests.processes import database_url

BASE_DIR = Path(__file__).resolve().parents[2]


def signed(sensor_id: int, key: bytes, line: str) -> bytes:
    """A line signed the way the docs show a device doing it."""
    signature = base64.urlsafe_b64encode(hmac.digest(key, line.encode(), hashlib.sha256)).rstrip(b"=")
    return b"hmac:%d:%s %s" % (sensor_id, signature, line.encode())


def lines_for(prefix: str, count: int, *, metric: str = "temperature", start: int = 0) -> list[bytes]:
    """`count` lines with distinct timestamps, each prefixed by a token."""
    now = time.time_ns()
    return [f"{prefix} {metric} value={i}i {now - i * 1000}".encode() for i in range(start, start + count)]


def send_udp(address, datagrams, *, pace_every: int = 200, pause: float = 0.002) -> None:
    """Send datagrams, pausing briefly every `pace_every` so loopback never overflows the receive buffer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for number, datagram in enumerate(datagrams, 1):
            sock.sendto(datagram, tuple(address))
            if number % pace_every == 0:
                time.sleep(pause)


def send_tcp(address, lines) -> None:
    with socket.create_connection(tuple(address), timeout=10) as sock:
        sock.sendall(b"".join(line + b"\n" for line in lines))


def thread_listener(tmp_path: Path, **options) -> Listener:
    listener = Listener(host="127.0.0.1", udp_port=0, tcp_port=0, spool_dir=tmp_path / "spool", **options)
    listener.start()
    return listener


def subprocess_env(broker_url: str) -> dict:
    """The environment for a listener or worker process that sees this test's databases."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MONGODB_URL": settings.MONGODB_URL,
        "CELERY_BROKER_URL": broker_url,
        "SECRET_KEY": settings.SECRET_KEY,
    }


def listener_process(env: dict, spool_dir: Path, log: Path) -> tuple[subprocess.Popen, tuple, tuple]:
    """Start `manage.py telemetry_listener` on free ports; return it with its UDP and TCP addresses."""
    command = [sys.executable, "manage.py", "telemetry_listener", "--udp-port", "0", "--tcp-port", "0"]
    process = subprocess.Popen(
        [*command, "--spool-dir", str(spool_dir)],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("ab"),
        text=True,
    )
    line = process.stdout.readline()
    if not line.startswith("listening"):
        process.kill()
        raise AssertionError(f"listener did not start: {line!r}; see {log}: {log.read_text()[-2000:]}")
    udp, tcp = (part.split("=", 1)[1].rsplit(":", 1) for part in line.split()[1:])
    return process, (udp[0], int(udp[1])), (tcp[0], int(tcp[1]))


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
