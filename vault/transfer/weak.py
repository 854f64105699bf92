"""Flags password-like values that are weak: short, few character classes, or a well-known password."""

import functools
import string
from pathlib import Path

from django.views.decorators.debug import sensitive_variables

# Field names that hold something a person or a script authenticates with; other fields (user, uri,
# host) are not judged. Matched as substrings of the lower-cased name, so DB_PASSWORD and api_key count.
PASSWORD_LIKE = ("pass", "pwd", "secret", "pin", "token", "key", "credential")
MIN_LENGTH = 12
# A long random value (a hex or base64 token) is strong without symbols; only shorter ones need variety.
CLASSES_NEEDED_BELOW = 20
MIN_CLASSES = 3


@functools.cache
def _common() -> frozenset[str]:
    # A small bundled list (no network): the passwords attackers try first. Compared lower-cased.
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def _classes(value: str) -> int:
    kinds = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    count = sum(any(ch in kind for ch in value) for kind in kinds)
    return count + any(not ch.isalnum() for ch in value)


@sensitive_variables("value")
def weakness(name: str, value: str) -> str | None:
    """Why the value of field `name` is weak ("common password", "short", "few character classes"), or None."""
    if not any(word in name.lower() for word in PASSWORD_LIKE):
        return None
    if value.lower() in _common():
        return "common password"
    if len(value) < MIN_LENGTH:
        return "short"
    if len(value) < CLASSES_NEEDED_BELOW and _classes(value) < MIN_CLASSES:
        return "few character classes"
    return None


def weak_fields(fields) -> list[tuple[str, str]]:
    """(field name, reason) for each weak password-like field of one secret."""
    found = []
    for name, value in fields:
        reason = weakness(name, value)
        if reason:
            found.append((name, reason))
    return found
