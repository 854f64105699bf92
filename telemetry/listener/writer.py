"""The listener's writer thread: hands batches to the broker, spools them while it is down, replays in order.

Blocking calls (Celery publish, MongoDB reject counters, fsync) all happen here, off the event loop.
"""

import logging
import queue
import threading
import time

from telemetry.listener.ingest import Outgoing
from telemetry.listener.spool import Spool
from telemetry.services.enqueue import BrokerUnavailable, readings_enqueue
from telemetry.services.rejects import rejects_record

logger = logging.getLogger("telemetry.listener")

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 10.0


class Writer:
    def __init__(self, *, inbox: queue.SimpleQueue, spool: Spool):
        self.inbox = inbox
        self.spool = spool
        self.enqueued = 0
        self.spooled = 0
        self.replayed = 0
        self._backoff = 0.0
        self._retry_at = 0.0
        self._thread = threading.Thread(target=self._run, name="listener-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.inbox.put(None)
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while True:
            waiting = len(self.spool) > 0
            timeout = max(0.05, self._retry_at - time.monotonic()) if waiting else None
            try:
                item = self.inbox.get(timeout=timeout)
            except queue.Empty:
                item = False
            if item is None:
                return
            if item:
                self._handle(item)
            if len(self.spool) and time.monotonic() >= self._retry_at:
                self._replay()

    def _handle(self, item: Outgoing) -> None:
        if item.rejects:
            self._record_rejects(item.rejects)
        if not item.readings:
            return
        # While older batches wait on disk, new ones queue behind them, so the broker sees arrival order.
        if len(self.spool) == 0 and time.monotonic() >= self._retry_at:
            try:
                readings_enqueue(item.readings)
                self.enqueued += len(item.readings)
                return
            except BrokerUnavailable as exc:
                self._broker_down(exc)
        if self.spool.append(item.readings):
            self.spooled += len(item.readings)

    def _replay(self) -> None:
        while (oldest := self.spool.oldest()) is not None:
            path, readings = oldest
            try:
                readings_enqueue(readings)
            except BrokerUnavailable as exc:
                self._broker_down(exc)
                return
            self.spool.remove(path)
            self.replayed += len(readings)
            self.enqueued += len(readings)
        if self._backoff:
            logger.warning("listener: broker is back; the spool is replayed and empty")
        self._backoff = 0.0

    def _broker_down(self, exc: BrokerUnavailable) -> None:
        self._backoff = min(BACKOFF_MAX, self._backoff * 2 if self._backoff else BACKOFF_FIRST)
        self._retry_at = time.monotonic() + self._backoff
        logger.warning("listener: %s; spooling to disk, next try in %.1f s", exc, self._backoff)

    def _record_rejects(self, rejects: dict) -> None:
        for sensor_id, (count, _latest, reasons) in rejects.items():
            shown = "; ".join(f"{reason} ({times})" for reason, times in reasons.items())
            logger.warning("listener: rejected %d line(s) from sensor %d: %s", count, sensor_id, shown)
        try:
            rejects_record({sensor_id: (count, latest) for sensor_id, (count, latest, _) in rejects.items()})
        except Exception:
            # Counters are a convenience for the pages; losing them must not stop readings.
            logger.exception("listener: could not store reject counters")
