"""The exact split-based path: lines without quoted strings, every malformation named."""

from telemetry.lineprotocol.points import (
    INT64_MAX,
    INT64_MIN,
    MAX_FIELDS,
    MAX_NAME_CHARS,
    MAX_TAGS,
    LineProtocolError,
    Point,
    new_point,
    restore,
    show,
)
from telemetry.lineprotocol.values import FLOAT_END, INF, check_sizes, field_value, timestamp


def _pair_error(items: list[str], what: str) -> LineProtocolError:
    """Why `key=value` items do not make a dict: called only once a line is known to be bad."""
    seen = set()
    for item in items:
        key, _, value = item.partition("=")
        if not key or not value or "=" in value:
            return LineProtocolError(f"malformed {what} {show(item)}")
        if key in seen:
            return LineProtocolError(f"duplicate {what} {show(key)}")
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


def plain_parts(text: str, factor: int, default_ns: int | None) -> tuple:
    """A line without backslashes, quotes or control characters, where plain splits are exact."""
    sections = text.split(" ")
    if "" in sections:  # InfluxDB tolerates runs of spaces around and between sections
        sections = [s for s in sections if s]
    if len(sections) == 3:
        head, body, raw_ts = sections
        ts = timestamp(raw_ts, factor)
    elif len(sections) == 2:
        head, body = sections
        ts = default_ns
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
    # float() and int() also accept "_", a leading "+" and non-ASCII digits: field_value refuses those.
    plain_numbers = body.isascii() and "=+" not in body
    for key, raw in fields.items():
        if plain_numbers and "_" not in raw:
            last = raw[-1]
            if last in FLOAT_END:
                try:
                    fields[key] = float(raw)  # may overflow to infinity: checked once below
                except ValueError:
                    raise LineProtocolError(f"field {show(key)}: malformed number") from None
                continue
            if last == "i":
                try:
                    value = int(raw[:-1])
                except ValueError:
                    raise LineProtocolError(f"field {show(key)}: malformed integer") from None
                if not INT64_MIN <= value <= INT64_MAX:
                    raise LineProtocolError(f"field {show(key)}: integer out of range")
                fields[key] = value
                continue
        fields[key] = field_value(key, raw)
    if INF in fields.values() or -INF in fields.values():
        key = next(k for k, v in fields.items() if v in (INF, -INF))
        raise LineProtocolError(f"field {show(key)}: NaN and infinity are refused")
    if len(text) > MAX_NAME_CHARS:
        check_sizes(measurement, tags, fields)
    return measurement, tags, fields, ts


def protect(text: str) -> str:
    """Escaped separators as control characters, which a valid line cannot hold, so plain splits work."""
    return text.replace("\\ ", "\x00").replace("\\,", "\x01").replace("\\=", "\x02")


def restore_parts(measurement: str, tags: dict, fields: dict, ts: int | None) -> Point:
    """The Point of protected parts, every name with its characters back."""
    # "=" is not escaped in a measurement: keep "\\=" there.
    if not measurement.isprintable():
        measurement = restore(measurement, "\\=")
    # Escapes are mostly in tag values: look at each dict's names at once before remaking it.
    if not ("".join(tags) + "".join(tags.values())).isprintable():
        tags = {k if k.isprintable() else restore(k): v if v.isprintable() else restore(v) for k, v in tags.items()}
    if not "".join(fields).isprintable():
        fields = {restore(k): v for k, v in fields.items()}
    return new_point((measurement, tags, fields, ts))


def parse_escaped(text: str, factor: int, default_ns: int | None) -> Point:
    """A line with escapes (or non-ASCII text) but no quoted string."""
    text = protect(text)
    if text.isprintable():
        return Point(*plain_parts(text, factor, default_ns))
    return restore_parts(*plain_parts(text, factor, default_ns))
