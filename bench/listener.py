"""listener_udp: datagrams/s the telemetry listener takes in, against a bare `recvfrom` loop.

Both sides are fed by the same sender, a separate process blasting the same token-prefixed
line-protocol datagram as fast as it can on loopback. Each side's figure is the datagrams it fully
handled (the listener: authenticated and batched for the broker, its publisher thread running beside
it, refused lines not counted; the baseline: received by a plain blocking `recvfrom` loop) divided by
the time from the sender's first send (its own clock reading, so the sender's start-up is in neither
figure) to the last one handled. The ratio is what the listener's work costs against the least any UDP
receiver in Python must do. The listener does not parse: workers do (telemetry.services.lines), and
telemetry_e2e_udp measures that whole path, socket to MongoDB.

listener_udp_drops: then the sender is paced at half the listener's measured rate, and the kernel's
UDP receive-buffer drops (/proc/net/snmp Udp RcvbufErrors, machine-wide) during the run must be 0.
"""

import gc
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.contrib.auth import get_user_model

from bench.harness import Result, compare
from config.celery import app as celery_app
from telemetry.listener.server import UDP_RECEIVE_BUFFER, Listener
from telemetry.models import Sensor
from telemetry.services.sensors import sensor_create

DATAGRAMS = 50_000
TELEMETRY_QUEUE = "telemetry"
# Sends `count` datagrams to host:port, optionally paced at `rate` per second (0: as fast as possible).
SENDER = """
import socket, sys, time
host, port, count, rate, datagram = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
data = datagram.encode()
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
started = time.perf_counter()
# CLOCK_MONOTONIC is system-wide on Linux: the harness times from this instant, not from our start-up.
print(started, flush=True)
for number in range(count):
    if rate and number % 100 == 0:
        delay = started + number / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    sock.sendto(data, (host, port))
"""


def _token() -> str:
    owner, _ = get_user_model().objects.get_or_create(email="bench-listener@example.test")
    Sensor.objects.filter(owner=owner, name="bench").delete()
    return sensor_create(owner=owner, name="bench")[1]


def _send(address, count: int, token: str, rate: float = 0) -> subprocess.Popen:
    datagram = f"{token} weather,site=roof temperature=21.5,humidity=40i,pressure=1013.2"
    command = [sys.executable, "-c", SENDER, address[0], str(address[1]), str(count), str(rate), datagram]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def _handled_rate(count_now, sender: subprocess.Popen) -> float:
    """Wait for the sender, then until the count stops moving; handled datagrams per second."""
    started = float(sender.stdout.readline())
    sender.wait()
    sender.stdout.close()
    last, last_at = -1, time.perf_counter()
    while True:
        # Fine-grained, so the end of the run is known within milliseconds, not tens of them.
        time.sleep(0.005)
        current = count_now()
        if current != last:
            last, last_at = current, time.perf_counter()
        elif time.perf_counter() - last_at > 0.3:
            return last / (last_at - started)


def rcvbuf_errors() -> int:
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines() if line.startswith("Udp:")]
    return int(lines[1][lines[0].index("RcvbufErrors")])


# The listener's median rate from listener_udp, which listener_udp_drops paces its sender at half of.
_measured: dict[str, float] = {}


def _purge_published() -> None:
    """Drop the batches the listener really published: the next benchmark's worker must not inherit them."""
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(TELEMETRY_QUEUE)


def _listener_rate(token: str, count: int = DATAGRAMS, rate: float = 0) -> float:
    with tempfile.TemporaryDirectory() as spool:
        listener = Listener(host="127.0.0.1", udp_port=0, tcp_port=0, spool_dir=Path(spool))
        gc.freeze()  # as `manage.py telemetry_listener` does before it starts the listener
        listener.start()
        counters = listener.counters
        try:
            sender = _send(listener.udp_address, count, token, rate)
            # Refused lines are cheap: counting them would reward refusing.
            handled = _handled_rate(lambda: counters.lines - counters.rejected, sender)
        finally:
            listener.stop()
            _purge_published()
        if counters.rejected:
            raise RuntimeError(f"the listener refused {counters.rejected} benchmark lines; see the log")
        return handled


def listener_udp() -> Result:
    token = _token()

    def keyhold() -> float:
        return _listener_rate(token)

    def baseline() -> float:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
        sock.bind(("127.0.0.1", 0))
        received = [0]

        def receive() -> None:
            # Blocking, no timeout: a timeout would add a poll() to every recvfrom and flatter the listener.
            while sock.recvfrom(65535)[0]:
                received[0] += 1

        thread = threading.Thread(target=receive, daemon=True)
        thread.start()
        try:
            return _handled_rate(lambda: received[0], _send(sock.getsockname(), DATAGRAMS, token))
        finally:
            # An empty datagram ends the loop (the sender never sends one).
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stopper:
                stopper.sendto(b"", sock.getsockname())
            thread.join()
            sock.close()

    result = compare("listener_udp", keyhold=keyhold, baseline=baseline, bar=0.5, unit="datagrams/s", rounds=5)
    _measured["rate"] = result.keyhold
    return result


def listener_udp_drops() -> Result:
    token = _token()
    rate = (_measured.get("rate") or _listener_rate(token)) / 2
    count = int(rate * 5)  # five seconds at that rate
    before = rcvbuf_errors()
    handled = _listener_rate(token, count, rate)
    drops = rcvbuf_errors() - before
    # A cost (drops), lower is better: "ratio" is the drop count itself and the bar is 0.
    return Result(
        name="listener_udp_drops",
        unit=f"RcvbufErrors at {rate:,.0f}/s; handled {handled:,.0f}/s",
        keyhold=float(drops),
        baseline=float(count),
        ratio=float(drops),
        spread=(float(drops), float(drops)),
        bar=0,
        higher_is_better=False,
        rounds=1,
    )


BENCHMARKS = {"listener_udp": listener_udp, "listener_udp_drops": listener_udp_drops}
