"""MongoDB connection for this process, opened lazily and again after a fork (PyMongo is not fork-safe)."""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import mongoengine
import pymongo
from django.conf import settings
from pymongo.errors import ConnectionFailure
from pymongo.uri_parser import parse_uri

logger = logging.getLogger(__name__)

_connected_pid: int | None = None


class MongoUnavailable(RuntimeError):
    """MongoDB could not be reached; the message names the URL with any password removed."""


def redacted_url(url: str) -> str:
    """Return `url` with its password replaced by `***`, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _unreachable_message(exc: Exception) -> str:
    return f"MongoDB unreachable at {redacted_url(settings.MONGODB_URL)}: {type(exc).__name__}"


def database_name() -> str:
    return parse_uri(settings.MONGODB_URL).get("database") or "keyhold"


def connect() -> None:
    """Open this process' client (cheap and lazy: no network I/O until the first query)."""
    global _connected_pid
    if _connected_pid == os.getpid():
        return
    # A client inherited through fork must never be used: drop it and open a fresh one.
    mongoengine.disconnect_all()
    mongoengine.connect(
        db=database_name(),
        host=settings.MONGODB_URL,
        serverSelectionTimeoutMS=settings.MONGODB_TIMEOUT_MS,
        connectTimeoutMS=settings.MONGODB_TIMEOUT_MS,
        tz_aware=True,
        connect=False,
        uuidRepresentation="standard",
    )
    _connected_pid = os.getpid()


def disconnect() -> None:
    """Close this process' client; the next use reconnects with the current settings."""
    global _connected_pid
    mongoengine.disconnect_all()
    _connected_pid = None


def database():
    """Return the pymongo Database of this process, connecting first if needed."""
    connect()
    return mongoengine.get_db()


def ping(timeout_seconds: float) -> None:
    """Round-trip to the server, raising MongoUnavailable with a clear message when it is down."""
    connect()
    # pymongo.timeout bounds server selection and the command together.
    with reachable(), pymongo.timeout(timeout_seconds):
        mongoengine.get_connection().admin.command("ping")


@contextmanager
def reachable() -> Iterator[None]:
    """Turn "server down" errors raised inside the block into one clear MongoUnavailable."""
    try:
        yield
    except ConnectionFailure as exc:
        raise MongoUnavailable(_unreachable_message(exc)) from None
