"""Checkpoints: after one, records MACed with a retired key still verify, and tampering with them is caught."""

import pytest
from django.test import override_settings

from accounts.models import AuditEvent
from accounts.services.audit import Action, audit_record
from accounts.services.auditchain import AuditChainError, chain_verify
from accounts.services.auditcheckpoint import audit_checkpoint, records_needing_key
from tests.vault import keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def found():
    return keys.entries("k2", "k1")


@pytest.fixture
def old_trail(found):
    """Four records under k1, then k2 becomes active (k1 kept for now)."""
    with override_settings(VAULT_KEYS=keys.setting(found["k1"])):
        for n in range(4):
            audit_record(action=Action.LOGIN, email=f"user{n}@example.test", detail={"n": n})
    return found


def rotated(found):
    return override_settings(VAULT_KEYS=keys.setting(found["k2"], found["k1"]))


def retired(found):
    return override_settings(VAULT_KEYS=keys.setting(found["k2"]))


def problem() -> str:
    report = chain_verify()
    assert not report.intact, "tampering went unnoticed"
    return report.problem


def test_without_a_checkpoint_a_retired_keys_records_cannot_be_verified(old_trail):
    with retired(old_trail):
        assert "'k1' is not in the keyring and no checkpoint vouches for seq 1" in problem()
        assert records_needing_key("k1") == 4


def test_a_checkpoint_vouches_for_every_earlier_record(old_trail):
    with rotated(old_trail):
        checkpoint = audit_checkpoint(reason="test")
        audit_record(action=Action.LOGOUT, email="later@example.test")
    assert checkpoint.key_id == "k2"
    assert checkpoint.detail["through_seq"] == 4
    assert records_needing_key("k1") == 0
    with retired(old_trail):
        report = chain_verify()
        assert report.intact, report
        assert report.records == 6


@pytest.mark.parametrize("field", ["target", "actor_email", "detail", "created"])
def test_editing_a_vouched_record_is_caught_by_the_digest(old_trail, field):
    with rotated(old_trail):
        audit_checkpoint()
    victim = AuditEvent.objects.get(seq=2)
    changed = {
        "target": "rewritten",
        "actor_email": "mallory@example.test",
        "detail": {"n": 99},
        "created": victim.created.replace(year=2001),
    }
    AuditEvent.objects.filter(pk=victim.pk).update(**{field: changed[field]})
    with retired(old_trail):
        assert "the checkpoint at seq 5 does not match records 1..4" in problem()


def test_a_forged_mac_on_a_vouched_record_is_caught(old_trail):
    with rotated(old_trail):
        audit_checkpoint()
    AuditEvent.objects.filter(seq=4).update(mac="00" * 32)
    with retired(old_trail):
        # Record 5 (under k2) chains on record 4's MAC, so the forgery breaks the next link too.
        assert "MAC mismatch at seq 5" in problem()


def test_a_rewritten_checkpoint_claim_is_caught_by_its_own_mac(old_trail):
    with rotated(old_trail):
        checkpoint = audit_checkpoint()
    AuditEvent.objects.filter(pk=checkpoint.pk).update(detail={"through_seq": 2, "digest": "ab" * 32})
    with retired(old_trail):
        assert "MAC mismatch at seq 5" in problem()


def test_records_under_the_old_key_after_the_checkpoint_still_need_it(old_trail):
    with rotated(old_trail):
        audit_checkpoint()
    with override_settings(VAULT_KEYS=keys.setting(old_trail["k1"], old_trail["k2"])):
        audit_record(action=Action.LOGIN, email="late@example.test")
    assert records_needing_key("k1") == 1
    with retired(old_trail):
        assert "no checkpoint vouches for seq 6" in problem()


def test_a_checkpoint_is_refused_over_a_broken_chain(old_trail):
    AuditEvent.objects.filter(seq=3).update(target="tampered")
    with rotated(old_trail), pytest.raises(AuditChainError, match="MAC mismatch at seq 3"):
        audit_checkpoint()
    assert not AuditEvent.objects.filter(action=Action.AUDIT_CHECKPOINT).exists()
