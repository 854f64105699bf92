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
- Limits are the constants in `points`. The body size is limited at the edge (HTTP, socket).

Speed: a line with no quote or control character (most of what Telegraf sends; escapes become
placeholders first) takes the fast path (`fast`), which checks and converts all its values at once
and hands anything unusual to the exact paths: `split` for such lines, the left-to-right `scanner`
for the rest. Short lines whose quotes enclose plain string values take the fast path too. The
exact paths name every fault, and the tests hold the fast ones to them. Within one body,
`parse_lines` parses each head (measurement and tags) once, and takes a line's field keys off
with those of an earlier line that began with the same key: a Telegraf batch repeats both. Each
point still gets its own tags dict. bench/lineprotocol.py compares `parse_lines` with
line-protocol-parser (C): about 0.53 of its rate (0.4 without the caches, 0.3 before the fast
path). A body of one line per series (of shared measurements) is no slower than without them;
one whose every line also has field keys of its own is 10-15% slower, paying for the looks.
"""

import re

from telemetry.lineprotocol.fast import escaped_point, fast_parts, quoted_point
from telemetry.lineprotocol.points import (
    MAX_FIELDS,
    MAX_LINE_BYTES,
    MAX_NAME_CHARS,
    MAX_STRING_CHARS,
    MAX_TAG_VALUE_CHARS,
    MAX_TAGS,
    LineError,
    LineProtocolError,
    Point,
    new_point,
    show,
)
from telemetry.lineprotocol.scanner import parse_scanned as _parse_scanned
from telemetry.lineprotocol.split import parse_escaped, plain_parts

__all__ = [
    "MAX_FIELDS",
    "MAX_LINE_BYTES",
    "MAX_NAME_CHARS",
    "MAX_STRING_CHARS",
    "MAX_TAGS",
    "MAX_TAG_VALUE_CHARS",
    "PRECISIONS",
    "LineError",
    "LineProtocolError",
    "Point",
    "parse_line",
    "parse_lines",
]

PRECISIONS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BYTES_BUT_NEWLINE = bytes(range(32)).replace(b"\n", b"") + b"\x7f"
_new = tuple.__new__
_FAST_CHARS = MAX_LINE_BYTES // 4  # a longer line may be too long in UTF-8: _text measures it


def _parse_text(text: str, factor: int, default_ns: int | None, seen: dict | None = None) -> Point:
    if '"' not in text and text.isprintable():
        if "\\" not in text:
            parts = fast_parts(text, factor, default_ns, None, seen)
            if parts is not None:
                return new_point(parts)
        elif point := escaped_point(text, factor, default_ns, seen):
            return point
    if text.isascii() and text.isprintable() and "\\" not in text and '"' not in text:
        return Point(*plain_parts(text, factor, default_ns))
    if control := _CONTROL.search(text):
        raise LineProtocolError(f"control character at column {control.start() + 1}")
    if '"' in text:
        return _parse_scanned(text, factor, default_ns)
    return parse_escaped(text, factor, default_ns)


def _settings(precision: str, now_ns: int | None) -> tuple[int, int | None]:
    factor = PRECISIONS.get(precision)
    if factor is None:
        raise LineProtocolError(f"unknown precision {show(str(precision))}; use one of {', '.join(PRECISIONS)}")
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


def parse_line(
    line: bytes | str, *, precision: str = "ns", now_ns: int | None = None, seen: dict | None = None
) -> Point:
    """Parse one line (no newline inside); raises LineProtocolError, also for a blank or comment line.

    `seen` is a cache of heads and field keys, as parse_lines keeps for a body, that a caller parsing
    many lines one by one (the worker, for the listener's lines) may keep across them; it grows with
    every new head, so that caller bounds it.
    """
    factor, default_ns = _settings(precision, now_ns)
    if isinstance(line, str):
        # Text is parsed as it is (the worker gets the listener's lines as text); only a lone surrogate,
        # which no UTF-8 sender can produce, is refused.
        if not line.isascii():
            try:
                line.encode()
            except UnicodeEncodeError:
                raise LineProtocolError("text is not valid Unicode") from None
        if "\n" in line:
            raise LineProtocolError("a line cannot contain a newline")
    else:
        line = bytes(line)  # a bytearray or memoryview too
        if b"\n" in line:
            raise LineProtocolError("a line cannot contain a newline")
    text = _text(line)
    if text is None:
        raise LineProtocolError("blank or comment line: no point")
    return _parse_text(text, factor, default_ns, seen)


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
    # A body without control characters (newlines aside) spares each line that look; most bodies
    # are such, and their lines without quotes or comments go straight to the fast path.
    clean = type(lines[0]) is str and len(body.translate(None, _CONTROL_BYTES_BUT_NEWLINE)) == len(body)
    points, errors = [], []
    seen = {}  # the heads and field keys of this body's lines, parsed once: see fast.fast_parts
    for number, line in enumerate(lines, 1):
        try:
            if clean and len(line) <= _FAST_CHARS:
                if '"' not in line:
                    if "\\" not in line:
                        parts = fast_parts(line, factor, default_ns, None, seen)
                        if parts is not None:
                            points.append(_new(Point, parts))
                            continue
                    elif point := escaped_point(line, factor, default_ns, seen):
                        points.append(point)
                        continue
                elif line[0] != "#" and line[0] != " ":  # not a comment, and no CR to drop
                    point = quoted_point(line, factor, default_ns, seen)
                    points.append(point or _parse_scanned(line, factor, default_ns))
                    continue
            text = _text(line)
            if text is not None:
                points.append(_parse_text(text, factor, default_ns))
        except LineProtocolError as exc:
            errors.append(LineError(number, str(exc)))
    return points, errors
