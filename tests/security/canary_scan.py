"""The whole-suite canary scan: canary secrets go through Keyhold at session start, and at session end no log line,
Celery message, Redis database or database row of the whole session holds one of them.

At start, a user with a canary password signs in through the pages (a real session id), stores a secret with
canary values, makes an API token and reads the secret back over the API; then the session is signed out and the
transaction rolled back, so no other test sees these rows. While the session runs, every log record
logging makes (at the configured levels) and every Celery message published in this process is searched as it
happens; at the end, both Redis databases (cache and broker) and every table are. Not covered: processes a test
starts itself (gunicorn, prefork workers) log to their own files; MongoDB holds telemetry, never a secret.
"""

import logging
import secrets
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import redis
from celery.signals import before_task_publish
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import _get_databases_for_setup

from tests import canary
from tests.accounts.account_support import clear_throttles

logger = logging.getLogger(__name__)


class _RolledBack(Exception):
    """Raised to undo the planting transaction once the canaries went through."""


@dataclass
class CanaryScan:
    """Canaries (name -> value) and where each was found. What is searched before the canaries are known (while
    they are being planted) is held back and searched when `arm` gives them."""

    canaries: dict[str, str] = field(default_factory=dict)
    found: list[str] = field(default_factory=list)
    _forms: dict[str, list[bytes]] | None = None
    _held: list[tuple[str, bytes]] = field(default_factory=list)

    def arm(self, canaries: dict[str, str]) -> None:
        self.canaries = canaries
        self._forms = {name: canary.canary_forms(value) for name, value in canaries.items()}
        held, self._held = self._held, []
        for where, data in held:
            self.search(where, data)

    def search(self, where: str, blob: bytes | str) -> None:
        data = blob.encode("utf-8", "surrogateescape") if isinstance(blob, str) else bytes(blob)
        if self._forms is None:
            self._held.append((where, data))
            return
        for name, forms in self._forms.items():
            if any(form in data for form in forms):
                self.found.append(f"{name} in {where}: {data[:160]!r}")


def _record_text(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a record that cannot be formatted is still searched raw
        message = repr(record.msg)
    trace = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else ""
    return f"{record.name} {record.levelname} {message} {record.args!r} {trace}"


@contextmanager
def records_searched(scan: CanaryScan):
    """Search every log record as it is made, at the levels logging is configured for. The record factory,
    not a handler: Celery's worker start runs django.setup() again, whose dictConfig drops every handler."""
    make = logging.getLogRecordFactory()

    def make_and_search(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        scan.search(f"log record of {record.name}", _record_text(record))
        return record

    logging.setLogRecordFactory(make_and_search)
    try:
        yield
    finally:
        logging.setLogRecordFactory(make)


def _sign_in(client: Client, email: str, password: str):
    # Sign-in answers 503 while every core is hashing a password (parallel test processes start together).
    for _ in range(20):
        response = client.post(reverse("accounts:login"), {"username": email, "password": password})
        if response.status_code != 503:
            return response
        time.sleep(0.5)
    return response


def canaries_plant() -> dict[str, str]:
    """Drive a password, a session id, secret values and an API token through Keyhold; leave no row behind."""
    from django.contrib.auth import get_user_model

    from accounts.services.tokens import token_create

    planted = {
        "password": f"canary-pw-{secrets.token_hex(12)}",
        "secret value": f"canary-value-{secrets.token_hex(12)}",
        "secret notes": f"canary-notes-{secrets.token_hex(12)}",
    }
    client = Client()
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                email=f"canary-{secrets.token_hex(4)}@example.test", password=planted["password"]
            )
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            # Session fixtures set up before the per-test clearing, and a lockout that hostile tests left on
            # this worker's cache database in an earlier phase of `make test` would refuse this sign-in.
            clear_throttles()
            signed_in = _sign_in(client, user.email, planted["password"])
            assert signed_in.status_code == 302, f"the canary user could not sign in ({signed_in.status_code})"
            planted["session id"] = client.cookies[settings.SESSION_COOKIE_NAME].value
            fields = {
                "field_name": ["value"],
                "field_value": [planted["secret value"]],
                "notes": planted["secret notes"],
            }
            created = client.post(reverse("vault:secret-create"), {"path": "canary/scan", **fields})
            assert created.status_code == 302, "the canary secret was not created"
            _, token = token_create(user=user, name="canary", can_read=True, can_write=False)
            # `khp_<prefix>_<secret>`: the prefix is stored and shown on purpose; the secret part (which may
            # itself hold underscores) is what must appear nowhere.
            planted["api token"] = token.split("_", 2)[2]
            read = client.get("/v1/secret/data/canary/scan", HTTP_X_VAULT_TOKEN=token)
            assert planted["secret value"] in read.content.decode(), "the canary secret did not come back"
            client.logout()
            raise _RolledBack
    except _RolledBack:
        pass
    return planted


def redis_search(scan: CanaryScan, url: str, label: str) -> str | None:
    """Search every key and value of one Redis database; the reason it was skipped, if it was."""
    try:
        for where, value in canary.redis_values(url):
            scan.search(f"Redis {label} {where}", value)
    except redis.RedisError as error:
        return f"Redis {label} not scanned ({type(error).__name__})"
    return None


def stores_search(scan: CanaryScan) -> list[str]:
    """Search both Redis databases and every table (needs database access); the parts skipped, and why."""
    skipped = [
        redis_search(scan, settings.CACHES["default"]["LOCATION"], "cache"),
        redis_search(scan, settings.CELERY_BROKER_URL, "broker"),
    ]
    for table, row in canary.database_rows():
        scan.search(f"table {table}", row)
    return [reason for reason in skipped if reason]


def test_database_ready(session: pytest.Session) -> bool:
    """Whether pytest-django created the test database in this session (it does when a collected test needs it)."""
    aliases, _ = _get_databases_for_setup(session.items)
    return "default" in aliases


def scan_session(request: pytest.FixtureRequest, django_db_blocker):
    """Session fixture body: watch logs and Celery messages, plant, run the session, then scan Redis and the
    database. Fails the session with where each canary was found."""
    scan = CanaryScan()

    def published(body=None, headers=None, **_kwargs):
        scan.search(f"Celery message {(headers or {}).get('task')}", f"{body!r} {headers!r}")

    # pytest-django creates the test database only when a collected test asks for one; without it, planting
    # would write to the configured database, so a run without database tests plants nothing and scans nothing.
    planting = test_database_ready(request.session)
    before_task_publish.connect(published, weak=False)
    try:
        with records_searched(scan):
            if planting:
                with django_db_blocker.unblock():
                    scan.arm(canaries_plant())
            yield scan
    finally:
        before_task_publish.disconnect(published)
    if not planting:
        return
    with django_db_blocker.unblock():
        skipped = stores_search(scan)
    for reason in skipped:
        logger.warning("canary scan: %s", reason)
    assert scan.found == [], "canary secrets found:\n" + "\n".join(scan.found[:20])
