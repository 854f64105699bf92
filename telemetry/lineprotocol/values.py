"""Field values, timestamps and sizes, checked one at a time, with the reason when one is wrong."""

import math

from telemetry.lineprotocol.points import (
    INT64_MAX,
    INT64_MIN,
    MAX_NAME_CHARS,
    MAX_STRING_CHARS,
    MAX_TAG_VALUE_CHARS,
    UINT64_MAX,
    LineProtocolError,
    show,
)

BOOLEANS = dict.fromkeys(("t", "T", "true", "True", "TRUE"), True) | dict.fromkeys(
    ("f", "F", "false", "False", "FALSE"), False
)
FLOAT_END = frozenset(".0123456789")
INF = math.inf


def field_value(key: str, raw: str) -> float | int | bool:
    """An unquoted field value: float, `i` or `u` integer, or boolean."""
    last = raw[-1]
    if last in FLOAT_END and "_" not in raw and raw[0] != "+" and raw.isascii():
        try:
            value = float(raw)
        except ValueError:
            raise LineProtocolError(f"field {show(key)}: malformed number") from None
        if -INF < value < INF:
            return value
        raise LineProtocolError(f"field {show(key)}: NaN and infinity are refused")
    if (last == "i" or last == "u") and "_" not in raw and raw[0] != "+" and raw.isascii():
        try:
            value = int(raw[:-1])
        except ValueError:
            raise LineProtocolError(f"field {show(key)}: malformed integer") from None
        if INT64_MIN <= value <= INT64_MAX if last == "i" else raw[0] != "-" and value <= UINT64_MAX:
            return value
        raise LineProtocolError(f"field {show(key)}: integer out of range")
    value = BOOLEANS.get(raw)
    if value is None:
        if raw.lstrip("+-").lower() in ("nan", "inf", "infinity"):
            raise LineProtocolError(f"field {show(key)}: NaN and infinity are refused")
        raise LineProtocolError(f"field {show(key)}: value is not a number, boolean or quoted string")
    return value


def timestamp(raw: str, factor: int) -> int:
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


def check_sizes(measurement: str, tags: dict, fields: dict) -> None:
    """Only for lines longer than MAX_NAME_CHARS: shorter lines cannot hold an oversized part."""
    if len(measurement) > MAX_NAME_CHARS or any(len(k) > MAX_NAME_CHARS for k in (*tags, *fields)):
        raise LineProtocolError(f"a measurement or key is longer than {MAX_NAME_CHARS} characters")
    if any(len(v) > MAX_TAG_VALUE_CHARS for v in tags.values()):
        raise LineProtocolError(f"a tag value is longer than {MAX_TAG_VALUE_CHARS} characters")
    if any(type(v) is str and len(v) > MAX_STRING_CHARS for v in fields.values()):
        raise LineProtocolError(f"a string field is longer than {MAX_STRING_CHARS} characters")
