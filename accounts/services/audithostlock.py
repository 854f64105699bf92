"""One audit appender at a time per host: a lock file the processes of a host take turns on.

Every gunicorn and Celery process appends to the same chain with a compare-and-swap (auditwrite). Racing
each other, most of their statements failed and were sent again: under wrk, 16 connections to 5 gunicorn
processes, three statements per group written, two of them wasted, and PostgreSQL spent as much on the
failures as on the reads. Taking turns on a lock file first, a process's statement almost always
succeeds, and the records its threads queue meanwhile go into its next group (README Performance:
KV reads 569 to 802 requests/s, PostgreSQL's CPU per read halved). The lock only saves work: the
compare-and-swap still guards the chain against other hosts and against any process that could not take
it. So a lock file that cannot be opened (another user's, a read-only directory) is logged once and done
without, never a failed reveal. The kernel drops a dead process's lock with its descriptor.
"""

import fcntl
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)
SHM_DIR = "/dev/shm"  # noqa: S108 - a RAM-backed directory; the file name is derived, never trusted
# This process's lock file: (pid, file, or None when it could not be opened). A descriptor inherited across fork()
# shares its lock with the parent and every sibling, so each process opens its own.
_opened: tuple[int, object | None] | None = None


def lock_path() -> Path:
    """The lock file for this site's database: the processes of one host appending to one chain share it."""
    settings = connections[DEFAULT_DB_ALIAS].settings_dict
    where = f"{settings.get('HOST')}:{settings.get('PORT')}/{settings.get('NAME')}".encode()
    directory = SHM_DIR if os.path.isdir(SHM_DIR) else tempfile.gettempdir()
    return Path(directory) / f"keyhold-audit-{hashlib.sha256(where).hexdigest()[:16]}.lock"


def _lock_file():
    global _opened
    if _opened is None or _opened[0] != os.getpid():
        try:
            handle = open(lock_path(), "a+b")  # noqa: SIM115 - held for the life of the process
        except OSError as error:
            logger.warning("audit host lock unavailable (%s); appending without it", error.strerror or error)
            handle = None
        _opened = (os.getpid(), handle)
    return _opened[1]


@contextmanager
def host_lock() -> Iterator[None]:
    """Hold this host's audit append turn for the block (or nothing, when the lock file could not be opened)."""
    handle = _lock_file()
    if handle is None:
        yield
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
