"""Sign-up and email verification. Neither ever tells a visitor whether an address has an account."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services.audit import Action, Outcome, audit_record
from accounts.services.mail import account_mail_send

logger = logging.getLogger(__name__)

VERIFY_SALT = "accounts.email-verification"


class VerificationError(Exception):
    """A verification link that is malformed, expired, already used or for a changed address."""


def _verification_token(user) -> str:
    # The address is inside the signed value, so a link stops working if the address changes.
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT, compress=True)


def email_verification_send(*, user, request) -> bool:
    """Mail `user` a signed link that verifies their address (valid EMAIL_VERIFICATION_SECONDS)."""
    link = request.build_absolute_uri(reverse("accounts:verify-email", args=[_verification_token(user)]))
    return account_mail_send(
        to=user.email,
        template="verify_email",
        context={"user": user, "link": link, "hours": settings.EMAIL_VERIFICATION_SECONDS // 3600},
    )


def user_signup(*, email: str, display_name: str, password: str, request) -> None:
    """Create an unverified account and mail a verification link, or, when the address already has
    an account, mail its owner a notice instead. Both paths hash the password once and send one
    mail, so the response (and, within noise, its timing) is the same whichever happened."""
    email = get_user_model().objects.normalize_email(email).strip().lower()
    User = get_user_model()
    if User.objects.filter(email__iexact=email).exists():
        _existing_owner_notify(email=email, password=password, request=request)
        return
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, display_name=display_name.strip())
    except IntegrityError:
        # Someone signed up with the same address a moment ago: same answer as above.
        _existing_owner_notify(email=email, password=None, request=request)
        return
    audit_record(action=Action.SIGNUP, actor=user, request=request)
    email_verification_send(user=user, request=request)


def _existing_owner_notify(*, email: str, password: str | None, request) -> None:
    if password is not None:
        # The new-account path hashes the password; do the same work so timing does not tell.
        make_password(password)
    owner = get_user_model().objects.filter(email__iexact=email).first()
    audit_record(action=Action.SIGNUP, outcome=Outcome.DENIED, actor=owner, email=email, request=request)
    account_mail_send(
        to=email,
        template="signup_existing",
        context={
            "login_link": request.build_absolute_uri(reverse("accounts:login")),
            "reset_link": request.build_absolute_uri(reverse("accounts:password-reset")),
        },
    )


def email_verify(*, token: str, request) -> object:
    """Mark the address in `token` verified and return its user.

    Raises VerificationError for a link that is forged, older than EMAIL_VERIFICATION_SECONDS,
    for an address the account no longer has, or already used (links are single-use).
    """
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_SECONDS)
    except signing.SignatureExpired:
        raise VerificationError("This verification link has expired. Sign in to have a new one sent.") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise VerificationError("This verification link is not valid. Check that it was copied whole.") from None
    if not isinstance(data, dict):
        raise VerificationError("This verification link is not valid. Check that it was copied whole.")
    with transaction.atomic():
        user = (
            get_user_model()
            .objects.select_for_update()
            .filter(pk=data.get("u"), email=data.get("e"), is_active=True)
            .first()
        )
        if user is None:
            raise VerificationError("This verification link is not valid for any account.")
        if user.email_verified_at is not None:
            raise VerificationError("This verification link has already been used. Your address is verified.")
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    audit_record(action=Action.EMAIL_VERIFIED, actor=user, request=request)
    return user
