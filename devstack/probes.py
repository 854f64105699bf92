"""One round trip per service, embedded or external, so a wrong URL fails now with one clear line."""

import re
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg2
import pymongo
import redis
from psycopg2 import sql

from devstack.console import redact, scrub
from devstack.errors import ServiceUnreachable

TIMEOUT_SECONDS = 3.0

# django-environ's names for PostgreSQL; libpq itself knows only the first two.
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "psql", "postgis"}
_MISSING_DATABASE = re.compile(r'database "(?P<name>[^"]+)" does not exist')


def _check_sqlite(url: str) -> str | None:
    # settings accept SQLite for a quick look without servers; it needs only a writable folder.
    path = unquote(urlsplit(url).path)
    if path and path != "/:memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()
    return None


def _check_postgres(url: str, *, create_database: bool) -> str | None:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return _check_sqlite(url)
    if scheme not in POSTGRES_SCHEMES:
        raise ValueError(f"unsupported scheme {scheme!r}")
    dsn = "postgresql" + url[len(scheme) :]
    try:
        conn = psycopg2.connect(dsn, connect_timeout=int(TIMEOUT_SECONDS))
    except psycopg2.OperationalError as exc:
        missing = _MISSING_DATABASE.search(str(exc))
        if missing is None:
            raise
        # The server answers; only the database is new (CI names a fresh one per run).
        return _missing_database(dsn, missing["name"], create=create_database)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        conn.close()
    return None


def _missing_database(dsn: str, name: str, *, create: bool) -> str:
    maintenance = urlsplit(dsn)._replace(path="/postgres").geturl()
    conn = psycopg2.connect(maintenance, connect_timeout=int(TIMEOUT_SECONDS))
    try:
        if not create:
            # pytest-django makes its own test_<name> database; this one is never used.
            return f"database {name} does not exist (tests create their own)"
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"created database {name}"
    finally:
        conn.close()


def _check_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


def _check_mongodb(url: str) -> None:
    timeout_ms = int(TIMEOUT_SECONDS * 1000)
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
    finally:
        client.close()


def check(service: str, title: str, url: str, source: str, *, create_database: bool = True) -> str | None:
    """Raise ServiceUnreachable naming `title`, the redacted `url` and where it came from, if it does not answer.

    A PostgreSQL server that answers but lacks the URL's database is fine: the database is created
    when `create_database`, else left to the tests. Returns a note worth printing, if any.
    """
    try:
        if service == "postgres":
            return _check_postgres(url, create_database=create_database)
        if service == "mongodb":
            _check_mongodb(url)
        else:
            _check_redis(url)
    except Exception as exc:  # noqa: BLE001 - every driver has its own errors; all mean "not usable"
        first_line = (str(exc).strip().splitlines() or [""])[0]
        reason = scrub(f"{type(exc).__name__}: {first_line}".rstrip(": "), url)
        raise ServiceUnreachable(f"{title} is not reachable at {redact(url)} (from {source}): {reason}") from None
    return None
