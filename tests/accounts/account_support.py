"""Helpers for part A's account tests: a known password, a clean throttle, reading mailed links."""

import re

from django.core import mail
from django_redis import get_redis_connection

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a completely different passphrase"
LINK = re.compile(r"https?://\S+")


def clear_throttles() -> None:
    """Forget every failure counter and lockout (sign-in, two-factor, reset, sign-up), so a test starts unlocked."""
    redis = get_redis_connection("default")
    # Large SCAN pages: this runs before every test, and the cache holds the whole session's counters.
    for key in redis.scan_iter("keyhold:throttle:*", count=1000):
        redis.delete(key)


def last_link(to: str) -> str:
    """The first link in the newest mail sent to `to`."""
    for message in reversed(mail.outbox):
        if to in message.to:
            return LINK.search(message.body).group(0)
    raise AssertionError(f"no mail to {to}")
