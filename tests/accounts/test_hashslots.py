"""At most one password hash per core, at low priority: a sign-in beyond that gets a 503 soon, and is not counted."""

import os
import threading
import time

import pytest
from django.utils import timezone
from django_redis import get_redis_connection

from accounts.hashers import HASHING_NICENESS, KeyholdArgon2PasswordHasher, hashing_pool
from accounts.models import AuditEvent
from accounts.services import hashslots
from accounts.services.hashslots import HASHING_SLOTS, SLOTS_KEY, STALE_SECONDS, WAKE_KEY, hashing_slot
from tests.accounts.account_support import PASSWORD

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def no_slots_held():
    get_redis_connection("default").delete(SLOTS_KEY, WAKE_KEY)
    yield
    get_redis_connection("default").delete(SLOTS_KEY, WAKE_KEY)


def test_a_slot_is_refused_while_all_are_held_and_given_again_once_released():
    with hashing_slot(slots=2) as first, hashing_slot(slots=2) as second:
        started = time.monotonic()
        with hashing_slot(slots=2, wait=0.1) as third:
            waited = time.monotonic() - started
        assert (first, second, third) == (True, True, False)
        assert 0.1 <= waited < 1.0
    with hashing_slot(slots=2) as again:
        assert again is True
    assert get_redis_connection("default").zcard(SLOTS_KEY) == 0


def test_a_sign_in_waits_briefly_for_a_slot_freed_meanwhile():
    holder = hashing_slot(slots=1)
    assert holder.__enter__() is True
    threading.Timer(0.05, holder.__exit__, args=(None, None, None)).start()
    with hashing_slot(slots=1, wait=1.0) as taken:
        assert taken is True


def test_a_slot_left_by_a_killed_process_is_reclaimed():
    get_redis_connection("default").zadd(SLOTS_KEY, {"killed-mid-hash": time.time() - STALE_SECONDS - 1})
    with hashing_slot(slots=1) as taken:
        assert taken is True


@pytest.mark.django_db
def test_a_sign_in_while_every_core_hashes_gets_503_and_counts_no_failure(client, django_user_model):
    user = django_user_model.objects.create_user(
        email="busy@example.test", password=PASSWORD, email_verified_at=timezone.now()
    )
    form = {"username": user.email, "password": PASSWORD}
    held = [hashing_slot() for _ in range(HASHING_SLOTS)]
    assert all(slot.__enter__() for slot in held)
    try:
        # More refusals than the five failures that would lock the account: none of them counts as one.
        responses = [client.post(LOGIN, form) for _ in range(6)]
    finally:
        for slot in held:
            slot.__exit__(None, None, None)

    assert {response.status_code for response in responses} == {503}
    assert responses[0]["Retry-After"] == "1"
    assert "try again" in responses[0].content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action__in=["login", "lockout"], actor=user).exists()
    assert client.post(LOGIN, form).status_code == 302


@pytest.mark.django_db
def test_an_api_login_while_every_core_hashes_gets_503_and_counts_no_failure(client, django_user_model):
    user = django_user_model.objects.create_user(
        email="busy-api@example.test", password=PASSWORD, email_verified_at=timezone.now()
    )
    url = f"/v1/auth/userpass/login/{user.email}"
    held = [hashing_slot() for _ in range(HASHING_SLOTS)]
    assert all(slot.__enter__() for slot in held)
    try:
        responses = [client.post(url, {"password": PASSWORD}, content_type="application/json") for _ in range(6)]
    finally:
        for slot in held:
            slot.__exit__(None, None, None)

    assert {response.status_code for response in responses} == {503}
    assert responses[0]["Retry-After"] == "1"
    assert "retry" in responses[0].json()["errors"][0]
    assert not AuditEvent.objects.filter(action__in=["login", "lockout"], actor=user).exists()
    assert "client_token" in client.post(url, {"password": PASSWORD}, content_type="application/json").json()["auth"]


def test_passwords_are_hashed_on_a_lower_priority_thread_and_still_verify():
    hasher = KeyholdArgon2PasswordHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())

    assert hasher.verify(PASSWORD, encoded) is True
    assert hasher.verify("not the password", encoded) is False
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    hashing = hashing_pool().submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())).result()
    assert hashing == min(19, ours + HASHING_NICENESS)


def test_a_waiting_sign_in_takes_a_freed_slot_at_once_not_at_its_next_look(monkeypatch):
    # Long looks, so that only the release's wake-up can explain a quick take.
    monkeypatch.setattr(hashslots, "LOOK_AGAIN_SECONDS", 0.6)
    holder = hashing_slot(slots=1)
    assert holder.__enter__() is True
    released_at = []

    def release():
        released_at.append(time.monotonic())
        holder.__exit__(None, None, None)

    threading.Timer(0.02, release).start()
    with hashing_slot(slots=1, wait=1.0) as taken:
        took_at = time.monotonic()
    assert taken is True
    # Woken by the release itself: without the wake-up the waiter would sleep on to about 0.6 s.
    assert took_at - released_at[0] < 0.3


def test_each_process_can_hash_on_every_core_at_once():
    # Slots are per machine, so every one of them may be held by sign-ins in this one process.
    barrier = threading.Barrier(HASHING_SLOTS, timeout=5)
    futures = [hashing_pool().submit(barrier.wait) for _ in range(HASHING_SLOTS)]
    assert sorted(future.result() for future in futures) == list(range(HASHING_SLOTS))
