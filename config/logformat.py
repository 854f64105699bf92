"""Log lines that cannot be forged or leak: control characters escaped, token values redacted, JSON on demand.

User-controlled text reaches logs (request paths, user agents, form values in error messages). Unescaped,
a CR/LF in it writes a fake second log line and an ANSI sequence can rewrite an operator's terminal. Every
line is therefore one line: the plain format escapes control characters, the JSON format (one object per
line, for log shippers) escapes them by its encoding. Keyhold API tokens are replaced by their public
prefix wherever they appear, in case a client puts one where it does not belong (a URL, a form field).
"""

import json
import logging
import re
from datetime import UTC, datetime

# API tokens (accounts.services.tokens, `khp_`) and sensor ingest tokens (telemetry.services.sensors,
# `khs_`): `<tag>_<8 hex prefix>_<43 base64url>`; the prefix alone is not secret.
TOKEN = re.compile(r"(kh[ps]_[0-9a-f]{8}_)[A-Za-z0-9_-]{43}")
# C0 controls except TAB, DEL, the C1 range (ESC-less ANSI sequences start with \x9b, NEL \x85 breaks lines),
# the Unicode line and paragraph separators (line breaks to many log viewers) and the bidirectional overrides
# (which reorder what an operator reads). Backslashes stay as they are: Django and gunicorn escape paths and
# request lines themselves, and doubling would garble those.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
ESCAPES = {"\n": "\\n", "\r": "\\r"}


def redact(text: str) -> str:
    return TOKEN.sub(r"\1[redacted]", text)


def _escape(match: re.Match) -> str:
    char = match.group(0)
    return ESCAPES.get(char) or (f"\\x{ord(char):02x}" if ord(char) <= 0xFF else f"\\u{ord(char):04x}")


def one_line(text: str) -> str:
    """`text` with control characters written as escapes and tokens redacted."""
    return CONTROL.sub(_escape, redact(text))


class PlainFormatter(logging.Formatter):
    """The classic line, one line per record: message and traceback escaped onto it."""

    def format(self, record: logging.LogRecord) -> str:
        return one_line(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, process, message and, if any, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        # ensure_ascii escapes every control and non-ASCII character, so the line stays one plain line.
        return json.dumps(entry, ensure_ascii=True, default=str)
