"""The left-to-right scanner: any line without control characters, and the only path for quoted strings."""

import re

from telemetry.lineprotocol.points import MAX_FIELDS, MAX_NAME_CHARS, MAX_TAGS, LineProtocolError, Point, show
from telemetry.lineprotocol.values import check_sizes, field_value, timestamp

# Influx's escape rule as a pattern: a backslash escapes the next character only if that one is
# escapable here; otherwise it is a literal backslash and the next character is read on its own.
_MEASUREMENT = re.compile(r"(?:[^\\ ,]|\\[ ,]|\\(?![ ,]))+")
_NAME = re.compile(r"(?:[^\\ ,=]|\\[ ,=]|\\(?![ ,=]))+")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_STRING_ESCAPE = re.compile(r'\\([\\"])')
_BARE_VALUE = re.compile(r"[^ ,]+")


def _unescape(name: str, escapable: str) -> str:
    if "\\" in name:
        for char in escapable:
            name = name.replace("\\" + char, char)
    return name


def parse_scanned(text: str, factor: int, default_ns: int | None) -> Point:
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
            raise LineProtocolError(f"duplicate tag {show(name)}")
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
            raise LineProtocolError(f"duplicate field {show(name)}")
        if len(fields) == MAX_FIELDS:
            raise LineProtocolError(f"more than {MAX_FIELDS} fields")
        if pos < end and text[pos] == '"':
            string = _STRING.match(text, pos)
            if not string:
                raise LineProtocolError(f"field {show(name)}: unterminated string")
            value = string[1]
            fields[name] = _STRING_ESCAPE.sub(r"\1", value) if "\\" in value else value
        else:
            bare = _BARE_VALUE.match(text, pos)
            if not bare:
                raise LineProtocolError(f"field {show(name)}: missing value")
            fields[name] = field_value(name, bare[0])
            string = bare
        pos = string.end()
        if pos < end and text[pos] == ",":
            pos += 1
            continue
        if pos < end and text[pos] != " ":
            raise LineProtocolError(f"unexpected character at column {pos + 1}")
        break
    rest = text[pos:].strip(" ")
    ts = default_ns
    if rest:
        if " " in rest:
            raise LineProtocolError("unexpected text after the timestamp")
        ts = timestamp(rest, factor)
    if len(text) > MAX_NAME_CHARS:
        check_sizes(measurement, tags, fields)
    return Point(measurement, tags, fields, ts)
