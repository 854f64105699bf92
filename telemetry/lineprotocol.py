"""A strict InfluxDB line-protocol (v2) parser: bytes in, Points or per-line reasons out.

Written here because no PyPI parser passes our fuzz test: `line-protocol-parser` 2.0.1 (C) crashes
the interpreter on invalid UTF-8 inside a string field and silently keeps the first of duplicate
fields; `pyilpp` 0.1.0 accepts NaN, inf and out-of-range integers and skips bad lines without an
error; `influx-line-protocol`, `influxdb-client` and `influxdb` only write line protocol.

Semantics follow InfluxDB, strictly:
- Escapes: `\\,` and `\\ ` in the measurement; `\\,`, `\\=` and `\\ ` in tag keys, tag values and
  field keys; `\\"` and `\\\\` in string fields. A backslash before any other character stays a
  literal backslash, as in InfluxDB, because Telegraf and influxdb-client send Windows paths such
  as `C:\\Temp` unescaped. A name therefore cannot end in a backslash (InfluxDB has the same gap).
- Fields: floats (finite only: NaN and infinity are refused), `i` integers within int64, `u`
  integers within uint64, booleans t/T/true/True/TRUE/f/F/false/False/FALSE, quoted strings.
- Duplicate field or tag keys are refused. InfluxDB keeps the last value and line-protocol-parser
  keeps the first; a sender that repeats a key has a bug, and either choice drops a reading it
  believes was stored, so we refuse the line and say why.
- Control characters (U+0000-U+001F, U+007F) are refused anywhere, also inside strings: Telegraf
  escapes them as `\\t`, `\\n`, `\\r` (kept literally, as InfluxDB's documented escapes do), and a raw
  newline ends the line anyway.
- Blank lines and `#` comments are skipped; spaces before a line, between sections and after the
  timestamp are tolerated (InfluxDB accepts them); a trailing CR (CRLF bodies) is dropped.
- The timestamp is an optional integer in `precision` units; it must fit int64 in nanoseconds.
  Whether it is recent enough is the caller's policy, not syntax.
- Limits are the module constants below. The body size is limited at the edge (HTTP, socket).

Speed: lines with no backslash, quote or control character (most of what Telegraf sends) take a
split-based path; escapes become placeholders so that the same path serves them; only lines with
quoted strings go through the left-to-right scanner, which the tests hold the fast paths to.
bench/lineprotocol.py compares it with line-protocol-parser (C): about a third of its rate.
"""

import math
import re
from dataclasses import dataclass

MAX_LINE_BYTES = 64 * 1024
MAX_NAME_CHARS = 256  # measurement, tag keys, field keys
MAX_TAG_VALUE_CHARS = 1024
MAX_STRING_CHARS = 16 * 1024
MAX_TAGS = 64
MAX_FIELDS = 256

PRECISIONS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1
_BOOLEANS = dict.fromkeys(("t", "T", "true", "True", "TRUE"), True) | dict.fromkeys(
    ("f", "F", "false", "False", "FALSE"), False
)
_FLOAT_END = frozenset(".0123456789")
_INF = math.inf
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Influx's escape rule as a pattern: a backslash escapes the next character only if that one is
# escapable here; otherwise it is a literal backslash and the next character is read on its own.
_MEASUREMENT = re.compile(r"(?:[^\\ ,]|\\[ ,]|\\(?![ ,]))+")
_NAME = re.compile(r"(?:[^\\ ,=]|\\[ ,=]|\\(?![ ,=]))+")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_STRING_ESCAPE = re.compile(r'\\([\\"])')
_BARE_VALUE = re.compile(r"[^ ,]+")


class LineProtocolError(ValueError):
    """The one error this module raises: a line (or a precision) that is not valid line protocol."""


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    tags: dict[str, str]
    fields: dict[str, float | int | bool | str]
    timestamp_ns: int | None


@dataclass(frozen=True, slots=True)
class LineError:
    line: int  # 1-based line number in the body
    reason: str


def _show(name: str) -> str:
    """A name for an error message, never long: reasons are logged and returned to senders."""
    name = _restore(name)  # a name from _parse_escaped may hold placeholders
    return repr(name if len(name) <= 32 else name[:32] + "...")


def _value(key: str, raw: str) -> float | int | bool:
    """An unquoted field value: float, `i` or `u` integer, or boolean."""
    last = raw[-1]
    if last in _FLOAT_END and "_" not in raw and raw[0] != "+" and raw.isascii():
        try:
            value = float(raw)
        except ValueError:
            raise LineProtocolError(f"field {_show(key)}: malformed number") from None
        if -_INF < value < _INF:
            return value
        raise LineProtocolError(f"field {_show(key)}: NaN and infinity are refused")
    if (last == "i" or last == "u") and "_" not in raw and raw[0] != "+" and raw.isascii():
        try:
            value = int(raw[:-1])
        except ValueError:
            raise LineProtocolError(f"field {_show(key)}: malformed integer") from None
        if INT64_MIN <= value <= INT64_MAX if last == "i" else raw[0] != "-" and value <= UINT64_MAX:
            return value
        raise LineProtocolError(f"field {_show(key)}: integer out of range")
    value = _BOOLEANS.get(raw)
    if value is None:
        if raw.lstrip("+-").lower() in ("nan", "inf", "infinity"):
            raise LineProtocolError(f"field {_show(key)}: NaN and infinity are refused")
        raise LineProtocolError(f"field {_show(key)}: value is not a number, boolean or quoted string")
    return value


def _timestamp(raw: str, factor: int) -> int:
    if raw.isdigit() and raw.isascii() and len(raw) <= 19:
        value = int(raw) * factor
        if value <= INT64_MAX:
            return value
        raise LineProtocolError("timestamp out of range")
    digits = raw[1:] if raw[0] == "-" else raw
    if not (digits.isascii() and digits.isdigit()):
        raise LineProtocolError("timestamp is not an integer")
    value = int(raw) * factor if len(digits) <= 19 else INT64_MAX + 1
    if not INT64_MIN <= value <= INT64_MAX:
        raise LineProtocolError("timestamp out of range")
    return value


def _check_sizes(measurement: str, tags: dict, fields: dict) -> None:
    """Only for lines longer than MAX_NAME_CHARS: shorter lines cannot hold an oversized part."""
    if len(measurement) > MAX_NAME_CHARS or any(len(k) > MAX_NAME_CHARS for k in (*tags, *fields)):
        raise LineProtocolError(f"a measurement or key is longer than {MAX_NAME_CHARS} characters")
    if any(len(v) > MAX_TAG_VALUE_CHARS for v in tags.values()):
        raise LineProtocolError(f"a tag value is longer than {MAX_TAG_VALUE_CHARS} characters")
    if any(type(v) is str and len(v) > MAX_STRING_CHARS for v in fields.values()):
        raise LineProtocolError(f"a string field is longer than {MAX_STRING_CHARS} characters")


def _pair_error(items: list[str], what: str) -> LineProtocolError:
    """Why `key=value` items do not make a dict: called only once a line is known to be bad."""
    seen = set()
    for item in items:
        key, _, value = item.partition("=")
        if not key or not value or "=" in value:
            return LineProtocolError(f"malformed {what} {_show(item)}")
        if key in seen:
            return LineProtocolError(f"duplicate {what} {_show(key)}")
        seen.add(key)
    return LineProtocolError(f"malformed {what}s")


def _pairs(items: list[str], what: str) -> dict[str, str]:
    try:
        pairs = dict([item.split("=") for item in items])
    except ValueError:  # an item without "=" or with two
        raise _pair_error(items, what) from None
    if len(pairs) != len(items) or "" in pairs or "" in pairs.values():
        raise _pair_error(items, what)
    return pairs


def _plain_parts(text: str, factor: int, default_ns: int | None) -> tuple:
    """A line without backslashes, quotes or control characters, where plain splits are exact."""
    sections = text.split(" ")
    if "" in sections:  # InfluxDB tolerates runs of spaces around and between sections
        sections = [s for s in sections if s]
    if len(sections) == 3:
        head, body, raw_ts = sections
        timestamp = _timestamp(raw_ts, factor)
    elif len(sections) == 2:
        head, body = sections
        timestamp = default_ns
    else:
        raise LineProtocolError("no fields" if len(sections) < 2 else "unexpected text after the timestamp")
    measurement, *tag_items = head.split(",")
    if not measurement:
        raise LineProtocolError("empty measurement")
    if len(tag_items) > MAX_TAGS:
        raise LineProtocolError(f"more than {MAX_TAGS} tags")
    tags = _pairs(tag_items, "tag") if tag_items else {}
    field_items = body.split(",")
    if len(field_items) > MAX_FIELDS:
        raise LineProtocolError(f"more than {MAX_FIELDS} fields")
    fields = _pairs(field_items, "field")
    # Numbers are most values: convert them here, since a call per field costs as much as the work.
    # float() and int() also accept "_", a leading "+" and non-ASCII digits: _value refuses those.
    plain_numbers = body.isascii() and "=+" not in body
    for key, raw in fields.items():
        if plain_numbers and "_" not in raw:
            last = raw[-1]
            if last in _FLOAT_END:
                try:
                    fields[key] = float(raw)  # may overflow to infinity: checked once below
                except ValueError:
                    raise LineProtocolError(f"field {_show(key)}: malformed number") from None
                continue
            if last == "i":
                try:
                    value = int(raw[:-1])
                except ValueError:
                    raise LineProtocolError(f"field {_show(key)}: malformed integer") from None
                if not INT64_MIN <= value <= INT64_MAX:
                    raise LineProtocolError(f"field {_show(key)}: integer out of range")
                fields[key] = value
                continue
        fields[key] = _value(key, raw)
    if _INF in fields.values() or -_INF in fields.values():
        key = next(k for k, v in fields.items() if v in (_INF, -_INF))
        raise LineProtocolError(f"field {_show(key)}: NaN and infinity are refused")
    if len(text) > MAX_NAME_CHARS:
        _check_sizes(measurement, tags, fields)
    return measurement, tags, fields, timestamp


# Escaped separators become control characters, which a valid line cannot contain, so the plain
# splits work on them; names get their characters back afterwards.
_PROTECT = (("\\ ", "\x00"), ("\\,", "\x01"), ("\\=", "\x02"))


def _restore(name: str, equals: str = "=") -> str:
    if name.isprintable():
        return name
    return name.replace("\x00", " ").replace("\x01", ",").replace("\x02", equals)


def _parse_escaped(text: str, factor: int, default_ns: int | None) -> Point:
    """A line with escapes (or non-ASCII text) but no quoted string."""
    for escaped, placeholder in _PROTECT:
        text = text.replace(escaped, placeholder)
    measurement, tags, fields, timestamp = _plain_parts(text, factor, default_ns)
    if text.isprintable():
        return Point(measurement, tags, fields, timestamp)
    return Point(
        _restore(measurement, "\\="),  # "=" is not escaped in a measurement: keep "\\="
        {_restore(k): _restore(v) for k, v in tags.items()},
        {_restore(k): v for k, v in fields.items()},
        timestamp,
    )


def _unescape(name: str, escapable: str) -> str:
    if "\\" in name:
        for char in escapable:
            name = name.replace("\\" + char, char)
    return name


def _parse_scanned(text: str, factor: int, default_ns: int | None) -> Point:
    """Any line without control characters, scanned left to right; used for quoted strings."""
    end = len(text)
    pos = len(text) - len(text.lstrip(" "))
    match = _MEASUREMENT.match(text, pos)
    if not match:
        raise LineProtocolError("empty measurement")
    measurement, pos = _unescape(match[0], " ,"), match.end()
    tags = {}
    while pos < end and text[pos] == ",":
        key = _NAME.match(text, pos + 1)
        value = key and key.end() < end and text[key.end()] == "=" and _NAME.match(text, key.end() + 1)
        if not value:
            raise LineProtocolError(f"malformed tag at column {pos + 2}")
        name = _unescape(key[0], " ,=")
        if name in tags:
            raise LineProtocolError(f"duplicate tag {_show(name)}")
        if len(tags) == MAX_TAGS:
            raise LineProtocolError(f"more than {MAX_TAGS} tags")
        tags[name], pos = _unescape(value[0], " ,="), value.end()
    if pos == end:
        raise LineProtocolError("no fields")
    if text[pos] != " ":
        raise LineProtocolError(f"unexpected character at column {pos + 1}")
    while pos < end and text[pos] == " ":
        pos += 1
    fields = {}
    while True:
        key = _NAME.match(text, pos)
        if not key or key.end() == end or text[key.end()] != "=":
            raise LineProtocolError(f"malformed field at column {pos + 1}")
        name, pos = _unescape(key[0], " ,="), key.end() + 1
        if name in fields:
            raise LineProtocolError(f"duplicate field {_show(name)}")
        if len(fields) == MAX_FIELDS:
            raise LineProtocolError(f"more than {MAX_FIELDS} fields")
        if pos < end and text[pos] == '"':
            string = _STRING.match(text, pos)
            if not string:
                raise LineProtocolError(f"field {_show(name)}: unterminated string")
            value = string[1]
            fields[name] = _STRING_ESCAPE.sub(r"\1", value) if "\\" in value else value
        else:
            bare = _BARE_VALUE.match(text, pos)
            if not bare:
                raise LineProtocolError(f"field {_show(name)}: missing value")
            fields[name] = _value(name, bare[0])
            string = bare
        pos = string.end()
        if pos < end and text[pos] == ",":
            pos += 1
            continue
        if pos < end and text[pos] != " ":
            raise LineProtocolError(f"unexpected character at column {pos + 1}")
        break
    rest = text[pos:].strip(" ")
    timestamp = default_ns
    if rest:
        if " " in rest:
            raise LineProtocolError("unexpected text after the timestamp")
        timestamp = _timestamp(rest, factor)
    if len(text) > MAX_NAME_CHARS:
        _check_sizes(measurement, tags, fields)
    return Point(measurement, tags, fields, timestamp)


def _parse_text(text: str, factor: int, default_ns: int | None) -> Point:
    if text.isascii() and text.isprintable() and "\\" not in text and '"' not in text:
        return Point(*_plain_parts(text, factor, default_ns))
    if control := _CONTROL.search(text):
        raise LineProtocolError(f"control character at column {control.start() + 1}")
    if '"' in text:
        return _parse_scanned(text, factor, default_ns)
    return _parse_escaped(text, factor, default_ns)


def _settings(precision: str, now_ns: int | None) -> tuple[int, int | None]:
    factor = PRECISIONS.get(precision)
    if factor is None:
        raise LineProtocolError(f"unknown precision {_show(str(precision))}; use one of {', '.join(PRECISIONS)}")
    # Like InfluxDB, a line without a timestamp gets the server's clock truncated to the precision.
    return factor, None if now_ns is None else now_ns - now_ns % factor


def _text(line: bytes | str) -> str | None:
    """The line as text, or None for a blank or comment line."""
    if type(line) is bytes:
        if len(line) > MAX_LINE_BYTES:
            raise LineProtocolError(f"line longer than {MAX_LINE_BYTES} bytes")
        try:
            line = line.decode()
        except UnicodeDecodeError as exc:
            raise LineProtocolError(f"invalid UTF-8 at byte {exc.start + 1}") from None
    elif len(line) > MAX_LINE_BYTES // 4 and len(line.encode()) > MAX_LINE_BYTES:
        raise LineProtocolError(f"line longer than {MAX_LINE_BYTES} bytes")
    if line.endswith("\r"):
        line = line[:-1]
    if not line or line[0] == "#":
        return None
    if line[0] == " ":
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            return None
    return line


def parse_line(line: bytes | str, *, precision: str = "ns", now_ns: int | None = None) -> Point:
    """Parse one line (no newline inside); raises LineProtocolError, also for a blank or comment line."""
    factor, default_ns = _settings(precision, now_ns)
    if isinstance(line, str):
        try:
            line = line.encode()
        except UnicodeEncodeError:
            raise LineProtocolError("text is not valid Unicode") from None
    line = bytes(line)  # a bytearray or memoryview too
    if b"\n" in line:
        raise LineProtocolError("a line cannot contain a newline")
    text = _text(line)
    if text is None:
        raise LineProtocolError("blank or comment line: no point")
    return _parse_text(text, factor, default_ns)


def parse_lines(
    body: bytes, *, precision: str = "ns", now_ns: int | None = None
) -> tuple[list[Point], list[LineError]]:
    """Parse a body of newline-separated lines; good lines are kept, each bad one gets a reason."""
    factor, default_ns = _settings(precision, now_ns)
    body = bytes(body)  # a bytearray or memoryview too
    try:
        lines = body.decode().split("\n")
    except UnicodeDecodeError:
        lines = body.split(b"\n")  # decode line by line, so that only the bad lines are refused
    points, errors = [], []
    for number, line in enumerate(lines, 1):
        try:
            text = _text(line)
            if text is not None:
                points.append(_parse_text(text, factor, default_ns))
        except LineProtocolError as exc:
            errors.append(LineError(number, str(exc)))
    return points, errors
