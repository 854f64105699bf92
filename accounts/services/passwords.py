"""Changing and resetting passwords; both end the account's other sessions."""

from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.clientinfo import client_ip
from accounts.services.audit import Action, audit_record
from accounts.services.limits import LOGIN_ACCOUNT, RESET_EMAIL, RESET_IP, ip_subject
from accounts.services.login import account_subject
from accounts.services.mail import account_mail_send
from accounts.services.sessions import session_key_replace, sessions_end_for_user
from accounts.services.throttle import throttle_clear, throttle_failure, throttle_retry_after


def password_change(*, user, new_password: str, request) -> int:
    """Set `user`'s password (the caller checked the old one), keep this browser signed in and end
    every other session of theirs. Returns how many other sessions were ended."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
    old_key = request.session.session_key
    # Cycles the key and stores the new auth hash: this browser stays, any copy of the old
    # cookie is refused by the hash check.
    update_session_auth_hash(request, user)
    session_key_replace(old_key=old_key, new_key=request.session.session_key)
    ended = sessions_end_for_user(user=user, keep=request.session.session_key)
    audit_record(action=Action.PASSWORD_CHANGE, actor=user, request=request, detail={"sessions_ended": ended})
    return ended


def password_reset_request(*, email: str, request) -> int | None:
    """Mail a reset link when `email` belongs to an active account; do nothing visible otherwise.

    Returns seconds to wait when this address or client asked too often (counted whether or not
    the address exists, so the limit reveals nothing), else None.
    """
    subject, address = account_subject(email), ip_subject(client_ip(request))
    retry_after = throttle_retry_after(RESET_EMAIL, subject) or throttle_retry_after(RESET_IP, address)
    if retry_after:
        return retry_after
    throttle_failure(RESET_EMAIL, subject)
    throttle_failure(RESET_IP, address)
    user = get_user_model().objects.filter(email__iexact=subject, is_active=True).first()
    audit_record(action=Action.PASSWORD_RESET_REQUEST, actor=user, email=subject, request=request)
    if user is None or not user.has_usable_password():
        return None
    link = request.build_absolute_uri(
        reverse(
            "accounts:password-reset-confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    )
    account_mail_send(to=user.email, template="password_reset", context={"user": user, "link": link})
    return None


def password_reset_complete(*, user, new_password: str, request) -> None:
    """Set the new password from a reset link and end all of `user`'s sessions.

    The link proved the mailbox, so an unverified address becomes verified, and the account's
    sign-in lockout is lifted: the owner has just shown who they are.
    """
    with transaction.atomic():
        user.set_password(new_password)
        fields = ["password"]
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            fields.append("email_verified_at")
        user.save(update_fields=fields)
    sessions_end_for_user(user=user)
    throttle_clear(LOGIN_ACCOUNT, account_subject(user.email))
    audit_record(action=Action.PASSWORD_RESET, actor=user, request=request)
