"""What devstack tells the developer: progress lines on stdout, errors on stderr, URLs redacted."""

import re
import sys
from urllib.parse import urlsplit

# Passwords can also hide in query strings (`?password=...`), e.g. in some MongoDB URLs.
_QUERY_SECRET = re.compile(r"(?i)((?:password|passwd|pwd|secret)=)[^&]*")


def say(message: str) -> None:
    """Print one progress line for the developer (the CLI's user-facing output)."""
    sys.stdout.write(f"devstack: {message}\n")
    sys.stdout.flush()


def complain(message: str) -> None:
    """Print one error line on stderr."""
    sys.stderr.write(f"devstack: {message}\n")
    sys.stderr.flush()


def redact(url: str) -> str:
    """Return `url` with any password replaced by `***`, for anything printed or raised."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparsable URL>"
    if password:
        # Edit the text rather than re-assembling it: urlunsplit changes some URLs (sqlite:////abs).
        user_info, _, hosts = parts.netloc.rpartition("@")
        user = user_info.split(":", 1)[0]
        url = url.replace(parts.netloc, f"{user}:***@{hosts}", 1)
    return _QUERY_SECRET.sub(r"\1***", url)


def scrub(text: str, url: str) -> str:
    """Remove the password of `url` from `text` (a driver's error message may echo it back)."""
    try:
        parts = urlsplit(url)
        secrets = {parts.password, parts.netloc.rpartition("@")[0].partition(":")[2]}  # decoded and as typed
    except ValueError:
        return text
    for secret in secrets - {None, ""}:
        text = text.replace(secret, "***")
    return text
