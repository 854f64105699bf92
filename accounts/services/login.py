"""Checking a sign-in attempt: lockouts first (before any hashing), then the password, then counting."""

import logging
from dataclasses import dataclass

from django.contrib.auth import authenticate, get_user_model

from accounts.clientinfo import client_ip
from accounts.services.audit import Action, Outcome, audit_record
from accounts.services.hashslots import hashing_slot
from accounts.services.limits import LOGIN_ACCOUNT, LOGIN_IP, ip_subject
from accounts.services.throttle import throttle_clear, throttle_failure, throttle_retry_after

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginAttempt:
    """`user` is set only for a correct password; `retry_after` (seconds) only when refused by a lockout.

    `busy`: not checked at all, because every core is already hashing a password (try again in a second).
    """

    user: object | None = None
    retry_after: int | None = None
    busy: bool = False


def account_subject(email: str) -> str:
    """The lockout key of an account: the address as typed, trimmed and lower-cased, known or not."""
    return email.strip().lower()


def login_attempt(*, request, email: str, password: str) -> LoginAttempt:
    """Check `email` and `password`, counting failures per account and per client address.

    Callers can rely on: a locked account or address is refused before any password is hashed
    (even when the password is right); so is one that finds every core hashing already (`busy`, not
    counted as a failure: the password was never checked); an unknown address and a wrong password
    give the same result and cost one hash each (Django's ModelBackend hashes for unknown users too); inactive
    users are refused like a wrong password; the failure that triggers a lockout returns it.
    """
    account, address = account_subject(email), ip_subject(client_ip(request))
    retry_after = throttle_retry_after(LOGIN_ACCOUNT, account) or throttle_retry_after(LOGIN_IP, address)
    if retry_after:
        logger.info("sign-in refused by lockout")
        return LoginAttempt(retry_after=retry_after)

    with hashing_slot() as may_hash:
        if not may_hash:
            logger.info("sign-in refused: every core is hashing a password")
            return LoginAttempt(busy=True)
        user = authenticate(request, username=account, password=password)
    if user is not None:
        # Safe to forget the account's failures: only the password's owner gets here. The
        # address counter stays, or one valid account would let an attacker reset it.
        throttle_clear(LOGIN_ACCOUNT, account)
        return LoginAttempt(user=user)

    known = get_user_model().objects.filter(email__iexact=account).first()
    audit_record(action=Action.LOGIN, outcome=Outcome.FAILURE, actor=known, email=account, request=request)
    locked = throttle_failure(LOGIN_ACCOUNT, account)
    locked_address = throttle_failure(LOGIN_IP, address)
    if locked or locked_address:
        audit_record(
            action=Action.LOCKOUT,
            outcome=Outcome.DENIED,
            actor=known,
            email=account,
            request=request,
            target="account" if locked else "address",
        )
        return LoginAttempt(retry_after=max(locked or 0, locked_address or 0))
    return LoginAttempt()
