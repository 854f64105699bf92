"""Two-factor services: enrolment, single-use codes, drift, recovery codes, lockout and the audit trail."""

import re
import threading

import pytest
from django.db import connection

from accounts.models import AuditEvent, RecoveryCode, TOTPDevice
from accounts.services import twofactor
from tests.accounts.twofactor_support import (
    PASSWORD,
    away_from_step_boundary,
    code_at,
    enrol,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(email="two@example.test", password=PASSWORD)


def test_enrolment_turns_two_factor_on_only_after_a_correct_code(user):
    away_from_step_boundary()
    device = twofactor.totp_device_start(user=user)
    assert not twofactor.twofactor_enabled(user)
    with pytest.raises(twofactor.CodeRejected):
        twofactor.totp_device_confirm(user=user, code="000000" if code_at(device.secret) != "000000" else "111111")
    assert not twofactor.twofactor_enabled(user)

    codes = twofactor.totp_device_confirm(user=user, code=code_at(device.secret))
    assert twofactor.twofactor_enabled(user)
    assert AuditEvent.objects.filter(actor=user, action="2fa_enabled").count() == 1
    assert len(codes) == 10


def test_recovery_codes_are_random_grouped_and_stored_only_as_sha256(user):
    _, codes = enrol(user)
    assert len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}", code)
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in stored)
    assert not any(code.replace("-", "") in value for value in stored for code in codes)


def test_starting_again_while_enabled_is_refused(user):
    enrol(user)
    with pytest.raises(twofactor.TwoFactorError):
        twofactor.totp_device_start(user=user)


def test_a_totp_code_is_accepted_once(user):
    secret, _ = enrol(user)
    code = code_at(secret)
    assert twofactor.twofactor_check(user=user, code=code) == "totp"
    with pytest.raises(twofactor.CodeRejected):
        twofactor.twofactor_check(user=user, code=code)


def test_a_code_older_than_the_last_used_one_is_refused(user):
    secret, _ = enrol(user)
    twofactor.twofactor_check(user=user, code=code_at(secret, +1))
    with pytest.raises(twofactor.CodeRejected):
        twofactor.twofactor_check(user=user, code=code_at(secret))


def test_one_step_of_clock_drift_is_accepted_and_two_are_not(user):
    secret, _ = enrol(user)
    with pytest.raises(twofactor.CodeRejected):
        twofactor.twofactor_check(user=user, code=code_at(secret, +2))
    assert twofactor.twofactor_check(user=user, code=code_at(secret, +1)) == "totp"


def test_the_enrolment_code_cannot_be_replayed_at_sign_in(user):
    away_from_step_boundary()
    device = twofactor.totp_device_start(user=user)
    code = code_at(device.secret)
    twofactor.totp_device_confirm(user=user, code=code)
    with pytest.raises(twofactor.CodeRejected):
        twofactor.twofactor_check(user=user, code=code)


def test_a_recovery_code_works_once_in_any_spelling(user):
    _, codes = enrol(user)
    spelled = codes[0].upper().replace("-", " ")
    assert twofactor.twofactor_check(user=user, code=spelled) == "recovery"
    with pytest.raises(twofactor.CodeRejected):
        twofactor.twofactor_check(user=user, code=codes[0])
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() == 9


def test_recovery_codes_are_not_accepted_where_a_fresh_totp_code_is_required(user):
    _, codes = enrol(user)
    with pytest.raises(twofactor.CodeRejected):
        twofactor.recovery_codes_regenerate(user=user, code=codes[0])


def test_regenerating_replaces_every_recovery_code(user):
    secret, old = enrol(user)
    new = twofactor.recovery_codes_regenerate(user=user, code=code_at(secret))
    assert set(new).isdisjoint(old)
    with pytest.raises(twofactor.CodeRejected):
        twofactor.twofactor_check(user=user, code=old[1])
    assert twofactor.twofactor_check(user=user, code=new[1]) == "recovery"
    assert AuditEvent.objects.filter(actor=user, action="recovery_codes").count() == 1


def test_disabling_needs_a_valid_code_and_removes_secret_and_codes(user):
    _, codes = enrol(user)
    with pytest.raises(twofactor.CodeRejected):
        twofactor.twofactor_disable(user=user, code="not-a-code")
    assert twofactor.twofactor_enabled(user)
    twofactor.twofactor_disable(user=user, code=codes[3])
    assert not twofactor.twofactor_enabled(user)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(actor=user, action="2fa_disabled").count() == 1


def test_five_wrong_codes_lock_out_even_the_right_code(user):
    secret, _ = enrol(user)
    for _ in range(4):
        with pytest.raises(twofactor.CodeRejected):
            twofactor.twofactor_check(user=user, code="abcdefgh")
    with pytest.raises(twofactor.TwoFactorLocked) as locked:
        twofactor.twofactor_check(user=user, code="abcdefgh")
    assert locked.value.retry_after == 15 * 60
    with pytest.raises(twofactor.TwoFactorLocked) as still:
        twofactor.twofactor_check(user=user, code=code_at(secret))
    assert 0 < still.value.retry_after <= 15 * 60
    assert "Try again in about 15 minutes" in str(still.value)
    assert AuditEvent.objects.filter(actor=user, action="2fa_check", outcome="failure").count() == 5
    assert AuditEvent.objects.filter(actor=user, action="lockout", target="2fa").count() == 1


def test_the_lockout_is_per_account(user, django_user_model):
    enrol(user)
    other = django_user_model.objects.create_user(email="other@example.test", password=PASSWORD)
    other_secret, _ = enrol(other)
    for _ in range(5):
        with pytest.raises(twofactor.TwoFactorError):
            twofactor.twofactor_check(user=user, code="999999x")
    assert twofactor.twofactor_check(user=other, code=code_at(other_secret)) == "totp"


@pytest.mark.parametrize("code", ["", " ", "x" * 65, "١٢٣٤٥٦", "12345\x00", "../../etc", "123 456 789"])
def test_garbage_codes_are_refused_without_errors(user, code):
    enrol(user)
    with pytest.raises(twofactor.CodeRejected):
        twofactor.twofactor_check(user=user, code=code)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_uses_of_one_code_let_exactly_one_in(django_user_model):
    user = django_user_model.objects.create_user(email="race@example.test", password=PASSWORD)
    secret, _ = enrol(user)
    code = code_at(secret)
    results, barrier = [], threading.Barrier(4)

    def attempt():
        barrier.wait()
        try:
            results.append(twofactor.twofactor_check(user=user, code=code))
        except twofactor.CodeRejected:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refused", "refused", "refused", "totp"]
