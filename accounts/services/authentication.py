"""Signing in: the step between a checked password (and second factor) and a live session."""

import time

from django.conf import settings
from django.contrib.auth import get_user_model, login

from accounts.services.audit import Action, audit_record
from accounts.services.sessions import session_record

PENDING_KEY = "accounts.pending_login"
# How long a password-checked login waits for its second factor.
PENDING_SECONDS = 300
# When the session was last seen (epoch seconds); the idle timeout and last-seen both read it.
SEEN_KEY = "accounts.seen"
# When the password (and second factor) were last checked in this session; the vault asks for the
# password again when this is too old to reveal a secret.
AUTHENTICATED_KEY = "accounts.authenticated_at"


def pending_login_start(request, user, *, remember_me: bool) -> None:
    """Remember that `user` passed the password check and now owes a second factor."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user_id": user.pk, "remember_me": remember_me, "at": int(time.time())}


def pending_login_user(request):
    """Return `(user, remember_me)` for a login waiting on its second factor, or None."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=pending.get("user_id"), is_active=True).first()
    return (user, bool(pending.get("remember_me"))) if user else None


def login_complete(request, user, *, remember_me: bool) -> None:
    """Start the authenticated session for `user`, whose password and second factor were checked.

    Afterwards the session has a fresh key, lasts SESSION_REMEMBER_SECONDS when `remember_me`
    (else until the browser closes or SESSION_IDLE_SECONDS of inactivity), appears on the
    user's sessions page, and a successful sign-in is in the audit trail.
    """
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # 0 makes a browser-session cookie; the idle limit is enforced by SessionActivityMiddleware.
    request.session.set_expiry(settings.SESSION_REMEMBER_SECONDS if remember_me else 0)
    request.session[SEEN_KEY] = request.session[AUTHENTICATED_KEY] = int(time.time())
    # login() cycled the key, so the row is keyed by the session the browser now holds.
    request.session.save()
    session_record(request=request, user=user, remember_me=remember_me)
    audit_record(action=Action.LOGIN, actor=user, request=request, detail={"remember_me": remember_me})
