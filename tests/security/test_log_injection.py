"""Log injection through a real gunicorn: hostile text in a username at sign-in, a secret's path, a sensor's name,
the User-Agent, the query string and a raw request line (CR/LF, ANSI escapes, C1 controls, Unicode line
separators, bidi overrides, quotes, backslashes, braces) never breaks a log line, in the plain and the JSON
format: every captured line is one line without a raw control character, and every JSON line parses."""

import json
import logging
import re
import urllib.parse

import pytest
from django.utils import timezone

from config.logformat import JsonFormatter, PlainFormatter
from tests.security.website import Site
from tests.vault.vault_support import PASSWORD, make_user
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.security, pytest.mark.django_db(transaction=True)]

# A forged second line, a terminal escape, a C1 CSI, a Unicode line separator, a bidi override and JSON breakers.
HOSTILE = 'forged\r\n2026-11-22 00:00:00 INFO fake\x1b[2J\x9b31m\u2028\u202e"}{\\"level": "CRITICAL"'
# gunicorn refuses a header with a C0 control character (400, "Invalid HTTP Header") but lets C1 controls through
# (Latin-1 bytes): a CSI (\x9b, an ANSI escape without ESC) and NEL (\x85, a line break to Python's splitlines).
# gunicorn's access line carries the User-Agent as it came, so only the formatter stands between it and the log.
HOSTILE_AGENT = 'agent\x9b31m\x85"}{\\"x": 1}'
# Raw control characters (and a line separator) that must never reach a line unescaped.
RAW = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def quoted(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def drive_hostile_requests(site: Site, email: str) -> None:
    site.wait_answering()
    query = "?q=" + quoted(HOSTILE) + "&next=" + quoted(HOSTILE)
    # Signed out: a refused sign-in with a hostile username, a hostile unknown path, a hostile query string.
    assert site.post_form("/accounts/login/" + query, {"username": HOSTILE, "password": HOSTILE}) in (200, 400, 403)
    assert site.request("/no-such-page/" + quoted(HOSTILE) + query)[0] == 404
    # Signed in: a hostile secret path and a hostile sensor name.
    assert site.post_form("/accounts/login/", {"username": email, "password": PASSWORD}) == 200
    assert site.request("/vault/s/" + quoted(HOSTILE) + query)[0] == 404
    assert site.post_form("/telemetry/sensors/new/", {"name": HOSTILE, "kind": HOSTILE}) in (200, 400)
    # A request line gunicorn must parse itself: raw ESC, C1 and JSON breakers, no percent-encoding.
    site.raw(b'GET /raw\x1b[2J\x9b"}{\\x HTTP/1.1')
    wait_until(lambda: "/raw" in site.log.read_text(errors="replace"), timeout=10)


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_hostile_text_never_breaks_a_log_line(log_format, tmp_path, django_user_model):
    user = make_user(django_user_model, "logs@example.test")
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    site = Site(tmp_path / "web.log", log_format=log_format, user_agent=HOSTILE_AGENT)
    try:
        drive_hostile_requests(site, user.email)
    finally:
        site.stop()

    # Split on LF only: a raw CR, ESC or U+2028 left inside a line is a finding, not a line break.
    lines = [line for line in site.log.read_bytes().decode("utf-8").split("\n") if line]
    broken = [line for line in lines if RAW.search(line)]
    assert broken == [], f"{len(broken)} lines with raw control characters, first: {broken[:3]!r}"
    if log_format == "json":
        unparsed = [line for line in lines if not line.startswith("{")]
        assert unparsed == [], f"lines that are not JSON objects: {unparsed[:3]!r}"
        messages = [json.loads(line)["message"] for line in lines]
        # Escaped, not lost: the User-Agent's controls come back when the JSON is read (gunicorn escapes its quotes).
        assert any("agent\x9b31m\x85" in message for message in messages), messages
    else:
        messages = lines
        assert any("agent\\x9b31m\\x85" in line for line in lines), lines
    # The hostile text really reached the logs through each door that logs it (or the test proves nothing).
    for door in ("/no-such-page/", "/vault/s/", "/raw", "agent"):
        assert any(door in message for message in messages), f"nothing logged for {door}"


def test_unicode_line_breaks_and_bidi_overrides_are_escaped_in_both_formats():
    record = logging.LogRecord("keyhold.test", logging.WARNING, __file__, 1, "user %s", (HOSTILE,), None)
    plain = PlainFormatter("%(levelname)s %(message)s").format(record)
    assert len(plain.splitlines()) == 1
    assert RAW.search(plain) is None
    assert "forged\\r\\n2026-11-22 00:00:00 INFO fake\\x1b[2J\\x9b31m\\u2028\\u202e" in plain
    encoded = JsonFormatter().format(record)
    assert len(encoded.splitlines()) == 1
    assert RAW.search(encoded) is None
    assert json.loads(encoded)["message"] == f"user {HOSTILE}"
