"""What staff do to accounts: save changes, disable, clear a sign-in lockout."""

from django.db import transaction

from accounts import tokencache
from accounts.services.audit import Action, audit_record
from accounts.services.limits import LOGIN_ACCOUNT
from accounts.services.login import account_subject
from accounts.services.sessions import sessions_end_for_user
from accounts.services.throttle import throttle_clear


def user_save_by_staff(*, user, changed_fields: list[str], staff, request) -> None:
    """Save staff's edits to `user`. A user who is (now) inactive loses every session and API token use at once."""
    with transaction.atomic():
        user.save()
        tokencache.tokens_changed()
    if "is_active" in changed_fields and not user.is_active:
        user_sessions_end(user=user, staff=staff, request=request)


def user_deactivate(*, user, staff, request) -> None:
    """Disable `user` and end all their sessions; sign-in and their API tokens are refused from then on."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        tokencache.tokens_changed()
    user_sessions_end(user=user, staff=staff, request=request)


def user_sessions_end(*, user, staff, request) -> int:
    """End every session of `user`; returns how many there were."""
    ended = sessions_end_for_user(user=user)
    audit_record(action=Action.SESSION_REVOKED, actor=staff, request=request, target=user.email, detail={"by": "staff"})
    return ended


def user_lockout_clear(*, user, staff, request) -> None:
    """Lift `user`'s sign-in lockout and forget their failed attempts."""
    throttle_clear(LOGIN_ACCOUNT, account_subject(user.email))
    audit_record(action=Action.LOCKOUT_CLEARED, actor=staff, request=request, target=user.email)
