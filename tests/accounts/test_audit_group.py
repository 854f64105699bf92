"""Grouped audit appends: records that threads of one process append at the same moment share one statement, each
caller returns only once its record is committed, and a record the database refuses fails only its own caller."""

import threading
import time

import pytest
from django.db import IntegrityError, connection
from django.test import override_settings

from accounts.models import AuditEvent
from accounts.services import auditgroup
from accounts.services.audit import Action, audit_record
from accounts.services.auditchain import chain_verify
from tests.vault import keys
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


@pytest.fixture(autouse=True)
def keyring_setting():
    found = keys.entries("k1")
    with override_settings(VAULT_KEYS=keys.setting(found["k1"])):
        yield


def _append_in_threads(actions: list[str | None]) -> tuple[dict[int, AuditEvent], dict[int, Exception]]:
    """Each action appended by its own thread while the process's writer lock is held, then released at once:
    the threads are all queued when the first of them writes."""
    written, failed = {}, {}

    def append(number: int, action: str) -> None:
        try:
            written[number] = audit_record(action=action, email=f"thread{number}@example.test")
        except Exception as error:  # noqa: BLE001 - reported to the test thread
            failed[number] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n, action)) for n, action in enumerate(actions)]
    with auditgroup._writer_lock:
        for thread in threads:
            thread.start()
        assert wait_until(lambda: len(auditgroup._queue) == len(actions), timeout=10)
    for thread in threads:
        thread.join(timeout=30)
    return written, failed


def test_records_queued_together_are_written_as_one_group_and_each_caller_gets_its_own():
    audit_record(action=Action.LOGIN, email="first@example.test")
    written, failed = _append_in_threads([Action.LOGIN] * THREADS)

    assert failed == {}
    assert sorted(event.seq for event in written.values()) == list(range(2, THREADS + 2))
    # Stamped together: one group, one statement, one moment.
    assert len({event.created for event in written.values()}) == 1
    for number, event in written.items():
        stored = AuditEvent.objects.get(pk=event.pk)
        assert (stored.actor_email, stored.seq, stored.mac) == (f"thread{number}@example.test", event.seq, event.mac)
    assert chain_verify().intact
    assert auditgroup._queue == []


def test_a_record_the_database_refuses_fails_its_own_caller_only():
    audit_record(action=Action.LOGIN, email="first@example.test")
    # No action at all: the database refuses the row (NOT NULL), and with it the first, grouped statement.
    actions = [Action.LOGIN] * THREADS
    actions[2] = None
    written, failed = _append_in_threads(actions)

    assert list(failed) == [2]
    assert isinstance(failed[2], IntegrityError)
    assert sorted(written) == [n for n in range(THREADS) if n != 2]
    assert AuditEvent.objects.count() == THREADS
    assert chain_verify().intact


def test_a_caller_returns_only_after_its_record_is_committed():
    audit_record(action=Action.LOGIN, email="first@example.test")
    returned = threading.Event()
    seen_at_return: list[bool] = []

    def append() -> None:
        try:
            event = audit_record(action=Action.LOGOUT, email="waiting@example.test")
            # Read from another connection's point of view: committed, not merely sent.
            seen_at_return.append(AuditEvent.objects.filter(pk=event.pk).exists())
            returned.set()
        finally:
            connection.close()

    with auditgroup._writer_lock:
        thread = threading.Thread(target=append)
        thread.start()
        time.sleep(0.3)
        # While another writer holds the lock, the record is queued, not written, and its caller waits.
        assert not returned.is_set()
        assert not AuditEvent.objects.filter(actor_email="waiting@example.test").exists()
    thread.join(timeout=30)
    assert seen_at_return == [True]
