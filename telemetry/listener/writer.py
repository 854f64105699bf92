"""The listener's writer thread: hands batches of lines to the broker, spools them while it is down, replays in order.

Blocking calls (Celery publish, MongoDB reject counters, fsync) all happen here, off the event loop.
"""

import logging
import queue
import threading
import time

from telemetry.listener.ingest import Outgoing
from telemetry.listener.spool import Spool
from telemetry.services.enqueue import BrokerUnavailable, lines_enqueue, readings_enqueue

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
            item.rejects.report(logger)
        if not item.lines:
            return
        # While older batches wait on disk, new ones queue behind them, so the broker sees arrival order.
        if len(self.spool) == 0 and time.monotonic() >= self._retry_at:
            try:
                lines_enqueue(item.lines)
                self.enqueued += len(item.lines)
                return
            except BrokerUnavailable as exc:
                self._broker_down(exc)
        if self.spool.append(item.lines):
            self.spooled += len(item.lines)

    def _replay(self) -> None:
        while (oldest := self.spool.oldest()) is not None:
            path, items = oldest
            try:
                if self.spool.holds_lines(path):
                    lines_enqueue(items, batch_id=self.spool.batch_id(path))
                else:  # spooled by a listener before 2026-11, which parsed lines itself
                    readings_enqueue(items)
            except BrokerUnavailable as exc:
                self._broker_down(exc)
                return
            self.spool.remove(path)
            self.replayed += len(items)
            self.enqueued += len(items)
        if self._backoff:
            logger.warning("listener: broker is back; the spool is replayed and empty")
        self._backoff = 0.0

    def _broker_down(self, exc: BrokerUnavailable) -> None:
        self._backoff = min(BACKOFF_MAX, self._backoff * 2 if self._backoff else BACKOFF_FIRST)
        self._retry_at = time.monotonic() + self._backoff
        logger.warning("listener: %s; spooling to disk, next try in %.1f s", exc, self._backoff)
