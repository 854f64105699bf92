"""Two-factor authentication with TOTP and recovery codes."""

from accounts.models import TOTPDevice


def twofactor_enabled(user) -> bool:
    """True when the user has a confirmed authenticator, so a password alone does not sign them in."""
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
