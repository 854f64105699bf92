"""Browser sessions: recording them at sign-in, showing activity, and ending them on request."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import logout
from django.utils import timezone

from accounts.clientinfo import client_ip, user_agent
from accounts.models import UserSession
from accounts.services.audit import Action, audit_record


def _store_delete(session_key: str) -> None:
    # Through the configured engine, so a cached engine would drop its cache entry along with the row.
    import_module(settings.SESSION_ENGINE).SessionStore(session_key).delete()


def session_record(*, request, user, remember_me: bool) -> UserSession:
    """Record the request's (freshly cycled) session as one of `user`'s signed-in browsers."""
    now = timezone.now()
    row, _ = UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "user_agent": user_agent(request),
            "ip": client_ip(request),
            "created": now,
            "last_seen": now,
            "remember_me": remember_me,
        },
    )
    return row


def session_touch(*, request) -> None:
    """Mark the request's session as seen now. A session without a row (one made by a test's
    force_login, or before this table existed) gets one, so the sessions page can end it."""
    key = request.session.session_key
    if not key:
        return
    updated = UserSession.objects.filter(session_key=key, user=request.user).update(
        last_seen=timezone.now(), ip=client_ip(request)
    )
    if not updated:
        session_record(
            request=request, user=request.user, remember_me=not request.session.get_expire_at_browser_close()
        )


def session_key_replace(*, old_key: str | None, new_key: str | None) -> None:
    """Follow a session whose key was cycled in place (password change keeps the current browser)."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def session_revoke(*, user, session_id: int, request=None) -> bool:
    """End one of `user`'s sessions. Returns False when it is not theirs or already gone.

    Ending the current session also signs the request out.
    """
    row = UserSession.objects.filter(pk=session_id, user=user).first()
    if row is None:
        return False
    if request is not None and request.session.session_key == row.session_key:
        _current_end(request)
    else:
        _store_delete(row.session_key)
        row.delete()
    audit_record(action=Action.SESSION_REVOKED, actor=user, request=request, target=f"session {session_id}")
    return True


def session_revoke_others(*, user, request) -> int:
    """End every session of `user` except the request's own; returns how many were ended."""
    current = request.session.session_key
    count = sessions_end_for_user(user=user, keep=current)
    if count:
        audit_record(action=Action.SESSION_REVOKED, actor=user, request=request, target="all other sessions")
    return count


def session_logout_everywhere(*, user, request) -> int:
    """End every session of `user`, including the request's own."""
    count = sessions_end_for_user(user=user, keep=request.session.session_key)
    _current_end(request)
    audit_record(action=Action.SESSION_REVOKED, actor=user, request=request, target="all sessions")
    return count + 1


def session_logout(*, request, reason: str = "user") -> None:
    """Sign the request out and forget its row on the sessions page. `reason` goes in the audit
    detail: "user" for the sign-out button, "idle" for the inactivity timeout."""
    user = request.user if request.user.is_authenticated else None
    _current_end(request)
    if user is not None:
        audit_record(action=Action.LOGOUT, actor=user, request=request, detail={"reason": reason})


def sessions_end_for_user(*, user, keep: str | None = None) -> int:
    """End all of `user`'s recorded sessions but `keep`; returns how many were ended.

    Sessions with no row (rare: see session_touch) are still refused on their next request,
    by the session auth hash after a password change and by the backend once a user is inactive.
    """
    rows = list(UserSession.objects.filter(user=user).exclude(session_key=keep or "").values_list("pk", "session_key"))
    for _, key in rows:
        _store_delete(key)
    UserSession.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return len(rows)


def _current_end(request) -> None:
    key = request.session.session_key
    logout(request)
    if key:
        UserSession.objects.filter(session_key=key).delete()
