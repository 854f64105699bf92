"""How recently the person at the keyboard proved who they are, which a reveal requires."""

import time

from django.conf import settings

from accounts.services.authentication import AUTHENTICATED_KEY
from accounts.services.twofactor import VERIFIED_SESSION_KEY
from vault.services.errors import ReauthenticationRequired

# Set when the user re-confirms their password for revealing (see reveal_reauth_mark).
REAUTH_SESSION_KEY = "vault.reauth_at"


def reveal_reauth_mark(*, session) -> None:
    """Record in the session that the password was just confirmed (call after a successful password check)."""
    session[REAUTH_SESSION_KEY] = int(time.time())


def session_authenticated_at(session) -> float | None:
    """Epoch seconds of the session's latest sign-in, password re-confirmation or two-factor check, or None."""
    stamps = [session.get(AUTHENTICATED_KEY), session.get(REAUTH_SESSION_KEY), session.get(VERIFIED_SESSION_KEY)]
    known = [float(s) for s in stamps if isinstance(s, int | float) and not isinstance(s, bool)]
    return max(known, default=None)


def reauth_check(*, authenticated_at: float | None, now: float | None = None) -> None:
    """Raise ReauthenticationRequired unless `authenticated_at` is within VAULT_REVEAL_REAUTH_SECONDS of now."""
    now = time.time() if now is None else now
    # A stamp from the future is as untrustworthy as none (a clock jump or a forged value).
    if authenticated_at is None or not now - settings.VAULT_REVEAL_REAUTH_SECONDS <= authenticated_at <= now + 60:
        raise ReauthenticationRequired("Confirm your password to reveal secrets.")
