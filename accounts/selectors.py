"""Reads for account pages and admin: sessions, activity, lockouts."""

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import AuditEvent, TOTPDevice, UserSession
from accounts.services.limits import LOGIN_ACCOUNT
from accounts.services.login import account_subject
from accounts.services.throttle import throttle_locked_many, throttle_retry_after

ACTIVITY_PAGE_SIZE = 25


def session_list_for_user(*, user) -> QuerySet[UserSession]:
    """The user's signed-in browsers, most recently active first."""
    return UserSession.objects.filter(user=user).order_by("-last_seen", "-pk")


def activity_page_for_user(*, user, page: str | int | None) -> Page:
    """One page of the user's own audit events, newest first; a bad page number gives the first or last."""
    events = AuditEvent.objects.filter(actor=user).order_by("-created", "-pk")
    return Paginator(events, ACTIVITY_PAGE_SIZE).get_page(page)


def user_lockout_seconds(*, user) -> int | None:
    """Seconds left on the user's sign-in lockout, or None."""
    return throttle_retry_after(LOGIN_ACCOUNT, account_subject(user.email))


def locked_user_ids(*, users: QuerySet) -> set[int]:
    """Primary keys of `users` whose sign-in is locked now, checked in batches of one round trip."""
    locked: set[int] = set()
    rows = users.values_list("pk", "email")
    for start in range(0, rows.count(), 500):
        batch = list(rows[start : start + 500])
        flags = throttle_locked_many(LOGIN_ACCOUNT, [account_subject(email) for _, email in batch])
        locked.update(pk for (pk, _), flag in zip(batch, flags, strict=True) if flag)
    return locked


def users_with_twofactor(queryset: QuerySet) -> QuerySet:
    """`queryset` annotated with `has_twofactor`: a confirmed authenticator protects the login."""
    return queryset.annotate(
        has_twofactor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False))
    )
