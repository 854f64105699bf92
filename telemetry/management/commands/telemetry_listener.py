"""`manage.py telemetry_listener`: receive line protocol over UDP and TCP until SIGTERM or Ctrl-C."""

import gc
import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from telemetry.listener.server import Listener


class Command(BaseCommand):
    help = "Run the telemetry socket listener (UDP and TCP line protocol; see docs/telemetry-listener.md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", help="Address to bind (default TELEMETRY_LISTENER_HOST).")
        parser.add_argument("--udp-port", type=int, help="UDP port, 0 for any free one (default TELEMETRY_UDP_PORT).")
        parser.add_argument("--tcp-port", type=int, help="TCP port, 0 for any free one (default TELEMETRY_TCP_PORT).")
        parser.add_argument("--spool-dir", type=Path, help="Where batches wait while the broker is down.")

    def handle(self, *args, host=None, udp_port=None, tcp_port=None, spool_dir=None, **options) -> None:
        for port in (udp_port, tcp_port):
            if port is not None and not 0 <= port <= 65535:
                raise CommandError("Ports are 0 (any free port) to 65535.")
        listener = Listener(host=host, udp_port=udp_port, tcp_port=tcp_port, spool_dir=spool_dir)
        # What is loaded by now (Django, the apps: over 100k objects) lives as long as this process.
        # Frozen, the collector stops walking it on every full collection, which batches of lines
        # trigger every few thousand datagrams: about a third of the per-line cost. Done here, not in
        # Listener.start(), because only a process that is nothing but the listener may freeze its heap.
        gc.freeze()
        try:
            listener.start()
        except (OSError, RuntimeError) as exc:
            raise CommandError(f"The listener could not bind its ports: {exc}") from None
        stop = threading.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
        # One parseable line, so devstack and tests learn ports chosen with 0.
        udp, tcp = listener.udp_address, listener.tcp_address
        self.stdout.write(f"listening udp={udp[0]}:{udp[1]} tcp={tcp[0]}:{tcp[1]}")
        self.stdout.flush()
        stop.wait()
        listener.stop()
        counters = listener.counters
        self.stderr.write(
            f"listener stopped: {counters.lines} lines, {counters.forwarded} forwarded, {counters.rejected} rejected, "
            f"{listener.writer.enqueued} enqueued, {len(listener.spool)} batches left in the spool"
        )
