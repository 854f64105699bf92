"""Reads for two-factor pages: the device being set up, recovery codes left, and this session's second factor."""

from accounts.models import RecoveryCode, TOTPDevice
from accounts.services.twofactor import VERIFIED_SESSION_KEY


def totp_device_pending(*, user) -> TOTPDevice | None:
    """The authenticator `user` is setting up but has not confirmed yet."""
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=True).select_related("user").first()


def totp_device_confirmed(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def recovery_codes_remaining(*, user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def session_twofactor_verified(request) -> bool:
    """True when this session passed the second factor (at sign-in, or by confirming a code since)."""
    return bool(request.session.get(VERIFIED_SESSION_KEY))
