"""Canary scanning: find a known plaintext anywhere Keyhold keeps data (database, Redis, Celery messages, logs).

A canary can hide in transit encodings, so each is searched raw (UTF-8), as hex, and as base64 at all
three alignments (sessions, Celery bodies and signed cookies are base64 inside).
"""

import base64
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import redis
from celery.signals import before_task_publish
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection


def canary_forms(canary: str) -> list[bytes]:
    raw = canary.encode("utf-8")
    forms = [raw, raw.hex().encode(), raw.hex().upper().encode()]
    for pad in range(3):
        encoded = base64.b64encode(b"\x00" * pad + raw)
        # Drop the characters that depend on the neighbouring bytes; what is left is always present.
        forms.append(encoded[4:-4])
        forms.append(base64.urlsafe_b64encode(b"\x00" * pad + raw)[4:-4])
    return forms


def hits(blob: bytes | str, canaries: Iterable[str]) -> list[str]:
    """The canaries found in `blob` in any of their forms."""
    data = blob.encode("utf-8", "surrogateescape") if isinstance(blob, str) else bytes(blob)
    return [canary for canary in canaries if any(form in data for form in canary_forms(canary))]


def _as_bytes(value) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogateescape")


def database_rows() -> Iterator[tuple[str, bytes]]:
    """Every value of every table (a dump through the live connection), with sessions decoded too."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the catalog
            for row in cursor.fetchall():
                yield table, b"\x1f".join(_as_bytes(value) for value in row)
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        for (data,) in cursor.fetchall():
            yield "django_session (decoded)", json.dumps(SessionStore().decode(data), default=str).encode()


def redis_values(url: str) -> Iterator[tuple[str, bytes]]:
    """Every key and value of the Redis database at `url`, with kombu message bodies base64-decoded."""
    client = redis.Redis.from_url(url)
    readers = {
        b"string": lambda key: [client.get(key)],
        b"list": lambda key: client.lrange(key, 0, -1),
        b"hash": lambda key: [part for pair in client.hgetall(key).items() for part in pair],
        b"set": lambda key: list(client.smembers(key)),
        b"zset": lambda key: client.zrange(key, 0, -1),
    }
    for key in client.scan_iter(count=500):
        read = readers.get(client.type(key))
        for value in [key, *(read(key) if read else [])]:
            if value is None:
                continue
            yield f"{url} {key!r}", value
            yield from ((f"{url} {key!r} (body)", body) for body in _kombu_bodies(value))


def _kombu_bodies(value: bytes) -> list[bytes]:
    try:
        message = json.loads(value)
        return [base64.b64decode(message["body"])] if isinstance(message, dict) and "body" in message else []
    except (ValueError, TypeError, KeyError):
        return []


@contextmanager
def published_messages():
    """Collect the body and headers of every Celery message published inside the block."""
    sent: list[bytes] = []

    def record(body=None, headers=None, **_kwargs):
        sent.append(json.dumps({"body": body, "headers": headers}, default=repr).encode())

    before_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(record)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def every_log_line():
    """Collect every log record (DEBUG and up, tracebacks included) emitted inside the block, SQL with its
    parameters too: the database logger is turned up and this thread's connection logs every query."""
    collector = _Collector()
    collector.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    loggers = [logging.getLogger(), logging.getLogger("django.db.backends")]
    known = logging.root.manager.loggerDict.values()
    loggers += [found for found in known if getattr(found, "propagate", True) is False]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(collector)
        logger.setLevel(logging.DEBUG)
    forced, connection.force_debug_cursor = connection.force_debug_cursor, True
    try:
        yield collector.lines
    finally:
        connection.force_debug_cursor = forced
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(collector)
            logger.setLevel(level)
