"""How recently the person at the keyboard proved who they are, which a reveal requires."""

import time

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from accounts.services.audit import Action, Outcome, audit_record
from accounts.services.authentication import AUTHENTICATED_KEY
from accounts.services.limits import REVEAL_CONFIRM
from accounts.services.throttle import throttle_clear, throttle_failure, throttle_retry_after
from accounts.services.twofactor import VERIFIED_SESSION_KEY
from vault.services.errors import ReauthenticationFailed, ReauthenticationLocked, ReauthenticationRequired

# Set when the user re-confirms their password for revealing (see reveal_password_confirm).
REAUTH_SESSION_KEY = "vault.reauth_at"


def reveal_reauth_mark(*, session) -> None:
    """Record in the session that the password was just confirmed (call after a successful password check)."""
    session[REAUTH_SESSION_KEY] = int(time.time())


def reauth_locked_error(retry_after: int) -> ReauthenticationLocked:
    """The refusal while password re-confirmation is locked, with a human wait time."""
    minutes = max(1, round(retry_after / 60))
    return ReauthenticationLocked(
        f"Too many wrong passwords. Try again in about {minutes} minute{'s' if minutes != 1 else ''}.",
        retry_after=retry_after,
    )


@sensitive_variables("password")
def password_recheck(*, user, password: str) -> tuple[bool, int | None]:
    """Check `user`'s password again (before a reveal, share or export) under the REVEAL_CONFIRM throttle.

    Returns (right, lockout seconds that this wrong attempt started or None). Raises ReauthenticationLocked,
    before any hashing, while the account is locked: a hijacked session must not be a free guessing oracle.
    """
    subject = str(user.pk)
    retry_after = throttle_retry_after(REVEAL_CONFIRM, subject)
    if retry_after:
        raise reauth_locked_error(retry_after)
    if not user.check_password(password):
        return False, throttle_failure(REVEAL_CONFIRM, subject)
    throttle_clear(REVEAL_CONFIRM, subject)
    return True, None


@sensitive_variables("password")
def reveal_password_confirm(*, user, password: str, session, request=None) -> None:
    """Check `user`'s password before a reveal and mark `session` as freshly confirmed.

    Throttled per account (password_recheck) and every outcome is audited. Raises ReauthenticationLocked
    while locked and ReauthenticationFailed for a wrong password.
    """
    try:
        right, lockout = password_recheck(user=user, password=password)
    except ReauthenticationLocked:
        audit_record(action=Action.REVEAL_CONFIRM, outcome=Outcome.DENIED, actor=user, request=request)
        raise
    if not right:
        audit_record(action=Action.REVEAL_CONFIRM, outcome=Outcome.FAILURE, actor=user, request=request)
        if lockout:
            raise reauth_locked_error(lockout)
        raise ReauthenticationFailed("That password is not right.")
    audit_record(action=Action.REVEAL_CONFIRM, actor=user, request=request)
    reveal_reauth_mark(session=session)


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
