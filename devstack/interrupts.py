"""Ctrl+C and SIGTERM: both unwind like KeyboardInterrupt, and neither may interrupt a cleanup."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from devstack.errors import Terminated


def _raise_terminated(signum, frame) -> None:
    raise Terminated


def _in_main_thread() -> bool:
    # Python only lets the main thread install signal handlers.
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Inside the block, SIGTERM raises Terminated (a KeyboardInterrupt), so `finally` blocks run."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def held() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM inside the block: a second Ctrl+C during cleanup must not leave servers
    running. Every cleanup step is bounded, so this cannot hang forever."""
    if not _in_main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
