"""Two-factor authentication with TOTP and recovery codes: enrolment, checks, disabling, and the session flag."""

import hashlib
import hmac
import secrets
import time

import pyotp
from django.db import transaction
from django.utils import timezone

from accounts.models import RecoveryCode, TOTPDevice
from accounts.services.audit import Action, Outcome, audit_record
from accounts.services.throttle import Limit, throttle_clear, throttle_failure, throttle_retry_after

# Same treatment as passwords: 5 wrong codes within 15 minutes lock the account's second factor
# for 15 minutes, whatever address the guesses come from.
TWOFACTOR_LIMIT = Limit(name="2fa", attempts=5, window=15 * 60, lockout=15 * 60)
VERIFIED_SESSION_KEY = "accounts.2fa_verified_at"
ISSUER = "Keyhold"
RECOVERY_CODE_COUNT = 10
# Crockford's base32: no i, l, o or u, so a code read aloud or copied by hand survives.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 4, 4  # 16 symbols of 5 bits: 80 bits per code
# Longer input is refused before any work: no code we issue is anywhere near this long.
CODE_MAX_LENGTH = 64


class TwoFactorError(Exception):
    """A refused two-factor action; `str(error)` is a message fit to show the user."""


class CodeRejected(TwoFactorError):
    pass


class TwoFactorLocked(TwoFactorError):
    def __init__(self, retry_after: int):
        minutes = max(1, round(retry_after / 60))
        super().__init__(f"Too many wrong codes. Try again in about {minutes} minute{'s' if minutes != 1 else ''}.")
        self.retry_after = retry_after


def twofactor_enabled(user) -> bool:
    """True when the user has a confirmed authenticator, so a password alone does not sign them in."""
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def _subject(user) -> str:
    return f"user:{user.pk}"


def _normalise(code: str) -> str:
    code = "".join(code.split()).replace("-", "").lower()
    return code.translate(str.maketrans({"o": "0", "i": "1", "l": "1"}))


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _matching_step(secret: str, code: str, *, after: int | None) -> int | None:
    """The time step (now, or one either side for clock drift) whose code is `code` and is newer than `after`."""
    totp = pyotp.TOTP(secret)
    current = int(time.time()) // totp.interval
    for step in (current - 1, current, current + 1):
        if after is not None and step <= after:
            continue  # a replay, or a code older than one already used
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _guard(user) -> None:
    retry_after = throttle_retry_after(TWOFACTOR_LIMIT, _subject(user))
    if retry_after:
        raise TwoFactorLocked(retry_after)


def _refuse(user, *, request, what: str) -> None:
    """Count a wrong code, audit it, and raise the error the caller shows."""
    lockout = throttle_failure(TWOFACTOR_LIMIT, _subject(user))
    audit_record(action=Action.TWO_FACTOR_CHECK, outcome=Outcome.FAILURE, actor=user, request=request, target=what)
    if lockout:
        audit_record(action=Action.LOCKOUT, outcome=Outcome.DENIED, actor=user, request=request, target="2fa")
        raise TwoFactorLocked(lockout)
    raise CodeRejected("That code is not valid. Check your authenticator app and try again.")


def _use_totp(device: TOTPDevice, code: str) -> bool:
    """Accept `code` for a locked (select_for_update) device row and burn its time step."""
    step = _matching_step(device.secret, code, after=device.last_used_step)
    if step is None:
        return False
    device.last_used_step = step
    device.save(update_fields=["last_used_step"])
    return True


def _use_recovery_code(user, code: str) -> bool:
    # The conditional UPDATE makes a code single-use even when two requests race with it.
    return (
        RecoveryCode.objects.filter(user=user, code_hash=_recovery_hash(code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        == 1
    )


def _new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [
        "-".join(
            "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
            for _ in range(RECOVERY_GROUPS)
        )
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes])
    return codes


def _check(user, code: str, *, request, allow_recovery: bool, confirmed: bool = True) -> str | None:
    """Return "totp" or "recovery" for an accepted code, None for a wrong one. Locks the device row."""
    code = _normalise(code or "")
    # Unicode digits pass isdigit() but are no code of ours, and compare_digest refuses non-ASCII.
    if not code or len(code) > CODE_MAX_LENGTH or not code.isascii():
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=not confirmed).first()
        if device is None:
            return None
        if code.isdigit() and len(code) == 6:
            return "totp" if _use_totp(device, code) else None
    if allow_recovery and confirmed and _use_recovery_code(user, code):
        audit_record(action=Action.TWO_FACTOR_CHECK, actor=user, request=request, target="recovery code used")
        return "recovery"
    return None


def totp_device_start(*, user) -> TOTPDevice:
    """Give `user` a fresh, unconfirmed authenticator secret, replacing an earlier unfinished one.

    Raises TwoFactorError when two-factor is already on: a second device would need disabling first.
    """
    if twofactor_enabled(user):
        raise TwoFactorError("Two-factor authentication is already on.")
    device, _ = TOTPDevice.objects.update_or_create(
        user=user,
        defaults={"secret": pyotp.random_base32(), "created": timezone.now(), "last_used_step": None},
    )
    return device


def totp_provisioning_uri(*, device: TOTPDevice) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.email, issuer_name=ISSUER)


def totp_device_confirm(*, user, code: str, request=None) -> list[str]:
    """Turn two-factor on once `code` proves the app holds the secret; return ten recovery codes.

    The codes exist only in the return value: just their SHA-256 hashes are stored.
    Raises CodeRejected, TwoFactorLocked, or TwoFactorError when no enrolment is under way.
    """
    _guard(user)
    if not TOTPDevice.objects.filter(user=user, confirmed_at__isnull=True).exists():
        raise TwoFactorError("Start the set-up again: there is no authenticator waiting for confirmation.")
    with transaction.atomic():
        if _check(user, code, request=request, allow_recovery=False, confirmed=False) is None:
            accepted = False
        else:
            accepted = True
            TOTPDevice.objects.filter(user=user).update(confirmed_at=timezone.now())
            codes = _new_recovery_codes(user)
            audit_record(action=Action.TWO_FACTOR_ENABLED, actor=user, request=request)
    if not accepted:
        _refuse(user, request=request, what="enrolment")
    throttle_clear(TWOFACTOR_LIMIT, _subject(user))
    if request is not None:
        session_mark_verified(request=request)
    return codes


def twofactor_check(*, user, code: str, request=None, allow_recovery: bool = True) -> str:
    """Accept a fresh TOTP code (or, if allowed, an unused recovery code) for `user`.

    Returns "totp" or "recovery". Each TOTP time step and each recovery code is accepted once.
    Raises CodeRejected (counted towards the lockout) or TwoFactorLocked.
    """
    _guard(user)
    method = _check(user, code, request=request, allow_recovery=allow_recovery)
    if method is None:
        _refuse(user, request=request, what="sign-in" if allow_recovery else "confirmation")
    throttle_clear(TWOFACTOR_LIMIT, _subject(user))
    return method


def twofactor_disable(*, user, code: str, request=None) -> None:
    """Turn two-factor off after a fresh code or a recovery code; remove the secret and all recovery codes."""
    twofactor_check(user=user, code=code, request=request)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit_record(action=Action.TWO_FACTOR_DISABLED, actor=user, request=request)
    if request is not None:
        request.session.pop(VERIFIED_SESSION_KEY, None)


def recovery_codes_regenerate(*, user, code: str, request=None) -> list[str]:
    """Replace all recovery codes after a fresh TOTP code (a recovery code cannot mint new ones)."""
    twofactor_check(user=user, code=code, request=request, allow_recovery=False)
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_record(action=Action.RECOVERY_CODES_REGENERATED, actor=user, request=request)
    return codes


def session_mark_verified(*, request) -> None:
    """Record that this session passed the second factor (the admin asks for it)."""
    request.session[VERIFIED_SESSION_KEY] = int(time.time())
