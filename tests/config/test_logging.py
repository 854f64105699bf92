"""Log lines cannot be forged or leak a token: one line per record in both formats, control characters
escaped, Keyhold API token values redacted, and nothing else of the message lost. (Django escapes the
request path in its own request log already; these formatters cover every other message.)"""

import json
import logging

from django.conf import settings

from config.logformat import JsonFormatter, PlainFormatter

TOKEN = "khp_0123abcd_" + "Zz9-_" * 8 + "abc"
HOSTILE = f"/x\r\n2026-11-22 00:00:00 INFO forged line\x1b[2J\x9b31m token={TOKEN} \x00end"


def record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("keyhold.test", logging.WARNING, __file__, 1, message, args, exc_info)


def plain() -> PlainFormatter:
    return PlainFormatter(fmt=settings.LOGGING["formatters"]["plain"]["fmt"])


def test_the_plain_line_escapes_control_characters_and_redacts_tokens():
    line = plain().format(record("Not Found: %s", HOSTILE))
    for raw in ("\n", "\r", "\x1b", "\x9b", "\x00"):
        assert raw not in line
    assert "\\r\\n2026-11-22 00:00:00 INFO forged line\\x1b[2J\\x9b31m" in line
    assert TOKEN not in line
    assert "token=khp_0123abcd_[redacted]" in line


def test_a_traceback_stays_on_the_same_line():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        import sys

        line = plain().format(record("failed", exc_info=sys.exc_info()))
    assert "\n" not in line
    assert "Traceback (most recent call last):\\n" in line
    assert "ValueError: bad\\nvalue" in line


def test_json_lines_parse_back_to_the_message_with_only_the_token_redacted():
    try:
        raise RuntimeError("with\r\ncontrol")
    except RuntimeError:
        import sys

        line = JsonFormatter().format(record("Not Found: %s", HOSTILE, exc_info=sys.exc_info()))
    assert "\n" not in line
    assert "\x1b" not in line
    entry = json.loads(line)
    assert entry["message"] == "Not Found: " + HOSTILE.replace(TOKEN, "khp_0123abcd_[redacted]")
    assert (entry["level"], entry["logger"]) == ("WARNING", "keyhold.test")
    assert "RuntimeError: with\r\ncontrol" in entry["exception"]
