"""Signing in: the step between a checked password (and second factor) and a live session."""

import time

from django.contrib.auth import get_user_model, login

PENDING_KEY = "accounts.pending_login"
# How long a password-checked login waits for its second factor.
PENDING_SECONDS = 300


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
    """Start the authenticated session for `user`, whose password and second factor were checked."""
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
