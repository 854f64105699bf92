"""The password confirmation before a reveal: throttled per account and audited, whatever the outcome."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services.limits import REVEAL_CONFIRM
from tests.vault.vault_support import PASSWORD
from vault.services import secret_create

pytestmark = pytest.mark.django_db

CANARY = "canary-confirm-Hh61-never-shown"


@pytest.fixture
def stored(person):
    return secret_create(owner=person, path="ops/root", fields={"token": CANARY})


def reveal(client, **extra):
    return client.post(reverse("vault:secret-reveal", kwargs={"secret_path": "ops/root"}), {"version": 1, **extra})


def confirmations(user) -> list[str]:
    events = AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.REVEAL_CONFIRM).order_by("id")
    return [event.outcome for event in events]


def test_each_confirmation_is_audited_with_its_outcome(signed_in, person, stored):
    assert reveal(signed_in, password="wrong one").status_code == 400
    shown = reveal(signed_in, password=PASSWORD)
    assert shown.status_code == 200
    assert CANARY in shown.content.decode()
    assert confirmations(person) == ["failure", "success"]


def test_repeated_wrong_passwords_lock_confirmation_even_for_the_right_one(signed_in, person, stored):
    for attempt in range(REVEAL_CONFIRM.attempts - 1):
        response = reveal(signed_in, password=f"guess {attempt}")
        assert response.status_code == 400
        assert "That password is not right." in response.content.decode()
    locking = reveal(signed_in, password="last guess")
    assert locking.status_code == 429
    assert int(locking["Retry-After"]) == REVEAL_CONFIRM.lockout
    assert "Too many wrong passwords" in locking.content.decode()

    refused = reveal(signed_in, password=PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= REVEAL_CONFIRM.lockout
    assert CANARY not in refused.content.decode()
    assert confirmations(person) == ["failure"] * REVEAL_CONFIRM.attempts + ["denied"]
    # No reveal was recorded: the lock stops the attempt before anything is decrypted.
    assert not AuditEvent.objects.filter(actor=person, action=AuditEvent.Action.SECRET_REVEAL).exists()


def test_a_right_password_clears_earlier_failures(signed_in, person, stored):
    for attempt in range(REVEAL_CONFIRM.attempts - 1):
        reveal(signed_in, password=f"guess {attempt}")
    assert reveal(signed_in, password=PASSWORD).status_code == 200
    for attempt in range(REVEAL_CONFIRM.attempts - 1):
        assert reveal(signed_in, password=f"again {attempt}").status_code == 400


def test_oversized_or_missing_password_is_a_form_error_not_a_hash(signed_in, person, stored):
    assert reveal(signed_in, password="x" * 5000).status_code == 400
    assert reveal(signed_in, password="").status_code == 400
    # Rejected by the form before the service: neither counts as a guess.
    assert confirmations(person) == []
