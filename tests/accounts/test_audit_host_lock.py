"""The audit append's host lock: processes of one host take turns, a forked process holds its own turn, and a lock
file that cannot be opened costs the optimisation only, never an append."""

import fcntl
import logging
import os
import subprocess
import sys
import time

import pytest
from django.test import override_settings

from accounts.services import audithostlock
from accounts.services.audit import Action, audit_record
from accounts.services.auditchain import chain_verify
from tests.vault import keys

pytestmark = pytest.mark.django_db(transaction=True)
HOLD_SECONDS = 1.0
# Another process of the host: takes the lock, tells the test so on its stdout (the test waits for that line
# before appending), and holds it for argv[2] seconds.
HOLDER = (
    "import fcntl, sys, time\n"
    "handle = open(sys.argv[1], 'a+b')\n"
    "fcntl.flock(handle.fileno(), fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
)


@pytest.fixture(autouse=True)
def keyring_setting():
    found = keys.entries("k1")
    with override_settings(VAULT_KEYS=keys.setting(found["k1"])):
        yield


@pytest.fixture(autouse=True)
def fresh_lock_file():
    audithostlock._opened = None
    yield
    if audithostlock._opened is not None and audithostlock._opened[1] is not None:
        audithostlock._opened[1].close()
    audithostlock._opened = None


def test_an_append_waits_while_another_process_of_the_host_holds_the_turn():
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(audithostlock.lock_path()), str(HOLD_SECONDS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        event = audit_record(action=Action.LOGIN, email="waits@example.test")
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=10)
    assert waited >= HOLD_SECONDS * 0.8
    assert event.pk is not None
    assert chain_verify().intact


def test_a_forked_process_opens_its_own_lock_file_so_its_turn_is_not_its_parents():
    inherited = audithostlock._lock_file()
    # What a worker forked from gunicorn's master finds: the master's open file, under another pid.
    audithostlock._opened = (os.getpid() + 1, inherited)
    own = audithostlock._lock_file()
    assert own is not inherited
    # Two open files of one path exclude each other (one inherited file would not: its lock is the parent's too).
    fcntl.flock(inherited.fileno(), fcntl.LOCK_EX)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(own.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        fcntl.flock(inherited.fileno(), fcntl.LOCK_UN)
        inherited.close()


def test_a_lock_file_that_cannot_be_opened_is_logged_and_the_append_still_happens(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(audithostlock, "lock_path", lambda: tmp_path / "missing" / "audit.lock")
    with caplog.at_level(logging.WARNING, logger="accounts.services.audithostlock"):
        event = audit_record(action=Action.LOGIN, email="unlocked@example.test")
    assert event.pk is not None
    assert "audit host lock unavailable" in caplog.text
    assert chain_verify().intact
