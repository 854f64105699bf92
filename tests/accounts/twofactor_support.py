"""Helpers for two-factor and token tests: codes from a secret, an enrolled user, a clean throttle."""

import time

import pyotp

from accounts.services import twofactor

PASSWORD = "correct horse battery staple"


def away_from_step_boundary() -> None:
    """Wait out the last seconds of a 30 s step, so a code computed now is still current when checked."""
    if time.time() % 30 > 27:
        time.sleep(30 - time.time() % 30 + 0.1)


def code_at(secret: str, offset: int = 0) -> str:
    """The code for the current time step plus `offset` steps."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(int(time.time()) // totp.interval + offset)


def enrol(user) -> tuple[str, list[str]]:
    """Turn two-factor on for `user`; return the secret and the recovery codes.

    Confirms with the previous step's code (within the allowed drift), leaving the current and the
    next step's codes unused for the test.
    """
    away_from_step_boundary()
    device = twofactor.totp_device_start(user=user)
    codes = twofactor.totp_device_confirm(user=user, code=code_at(device.secret, -1))
    return device.secret, codes


def pending_login_session(user, *, remember_me: bool = False) -> str:
    """A session key for a login whose password was checked and which now owes its second factor.

    Made the way part A's login view makes it (`pending_login_start`), so the 2FA step can be tested
    on its own.
    """
    from importlib import import_module

    from django.conf import settings
    from django.test import RequestFactory

    from accounts.services.authentication import pending_login_start

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    request = RequestFactory().get("/")
    request.session = session
    pending_login_start(request, user, remember_me=remember_me)
    session.save()
    return session.session_key
