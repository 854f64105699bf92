"""Plain line protocol, checked whole by one regular expression and parsed in columns.

Most bodies a sensor or Telegraf sends are plain: ASCII names without escapes, numbers and booleans,
no quotes, one space between sections, an optional timestamp. For those the HTTP endpoints only
check the body (plain_body: a regular expression and a few whole-body scans, all in C, about five
times cheaper than parsing) and forward it to a worker, which parses it in columns (plain_columns:
one split per line, then whole columns of values converted at once).

The grammar here is a strict subset of what parse_lines and readings_from_point accept, so a body
accepted here stores every reading it holds (the tests hold it to that, property by property). Its
limits are tighter than the parser's, so that no reading check can fail: names of at most 64
characters (a metric is then at most 129), at most 32 tags of at most 256 characters, integers of
at most 18 digits, floats of at most 100 digits each side of the point and an exponent of at most 2
digits (3 when negative). Anything else takes the exact path, which parses line by line and names
every fault.
"""

import re
from dataclasses import dataclass
from itertools import repeat

from telemetry.lineprotocol.values import field_value

_NAME = rb"[!#-+\--<>-\[\]-~]"  # printable ASCII but space, '"', ',', '=' and '\'
_MEASUREMENT = rb"(?!#)" + _NAME + rb"{1,64}"
_TAG = rb",(?![$])" + _NAME + rb"{1,64}=" + _NAME + rb"{1,256}"
# A float's exponent may be negative with up to 3 digits (at worst it rounds to 0.0), positive with up to 2,
# so that no float can overflow to infinity.
_NUMBER = rb"-?(?:\d{1,100}(?:\.\d{0,100})?|\.\d{1,100})(?:[eE](?:-\d{1,3}|\+?\d{1,2}))?|-?\d{1,18}i|\d{1,18}u"
_BOOLEAN = rb"t|T|true|True|TRUE|f|F|false|False|FALSE"
_FIELD = _NAME + rb"{1,64}=(?:" + _NUMBER + rb"|" + _BOOLEAN + rb")"
_LINE = _MEASUREMENT + rb"(?:" + _TAG + rb"){0,32} " + _FIELD + rb"(?:," + _FIELD + rb"){0,255}(?: \d{1,19})?"
BODY = re.compile(rb"(?:" + _LINE + rb"\n)*" + _LINE + rb"\n?")
# What is left of a line without its values and timestamp: "measurement,tagkey,... fieldkey,...".
_VALUES = re.compile(rb"=[^, \n]*| \d+$", re.MULTILINE)
_TIMESTAMPS = re.compile(rb" (\d{1,19})$", re.MULTILINE)
SENSOR_TAG = b",sensor="

FLOAT_CHARS = str.maketrans("", "", "0123456789.-+eE,")
INT_CHARS = str.maketrans("", "", "0123456789-i,")
UINT_CHARS = str.maketrans("", "", "0123456789u,")


@dataclass(frozen=True, slots=True)
class PlainBody:
    """A body plain_body accepted: how many readings it holds, and its lowest and highest timestamp."""

    readings: int
    lines: int
    first_ts: int | None  # in the body's precision; None when no line has a timestamp
    last_ts: int | None


def plain_body(body: bytes) -> PlainBody | None:
    """The body's counts when it is plain line protocol with no repeated key on a line, else None."""
    if BODY.fullmatch(body) is None:
        return None
    shapes: dict[bytes, int] = {}
    for shape in _VALUES.sub(b"", body.rstrip(b"\n")).split(b"\n"):
        shapes[shape] = shapes.get(shape, 0) + 1
    readings = 0
    for shape, lines in shapes.items():
        head, fields = shape.split(b" ")
        tag_keys, field_keys = head.split(b",")[1:], fields.split(b",")
        if len(set(tag_keys)) != len(tag_keys) or len(set(field_keys)) != len(field_keys):
            return None
        readings += lines * len(field_keys)
    stamps = _TIMESTAMPS.findall(body)
    if not stamps:
        return PlainBody(readings, sum(shapes.values()), None, None)
    numbers = list(map(int, stamps))
    return PlainBody(readings, sum(shapes.values()), min(numbers), max(numbers))


def _column_values(text: str, count: int) -> list:
    """The values of one field over many lines, joined by commas, converted as the parser converts them."""
    if not text.translate(FLOAT_CHARS):
        return list(map(float, text.split(",")))
    if text.count("i") == count and not text.translate(INT_CHARS):
        return list(map(int, text.replace("i", "").split(",")))
    if text.count("u") == count and not text.translate(UINT_CHARS):
        return list(map(int, text.replace("u", "").split(",")))
    # Booleans, or a field whose type changes from line to line: one value at a time.
    return [field_value("", value) for value in text.split(",")]


def _head(head: str) -> tuple[str, dict] | None:
    """(measurement, tags) of a plain head, or None when a tag key repeats."""
    measurement, _, tag_text = head.partition(",")
    if not tag_text:
        return measurement, {}
    items = tag_text.split(",")
    tags = dict(item.split("=") for item in items)
    return (measurement, tags) if len(tags) == len(items) else None


def plain_columns(text: str, factor: int, default_ns: int) -> list[tuple[str, dict, str, list[int], list]] | None:
    """(measurement, tags, field key, times in ns, values) per head and field of a body plain_body accepted.

    None when the body is not laid out as that promises (every line of a head with the same field keys
    in the same order is the fast case; anything else returns None for the exact path). Times of lines
    without a timestamp are `default_ns`; the others are multiplied by `factor`.
    """
    heads: dict[str, tuple[list, list]] = {}
    for line in text.split("\n"):
        if not line:
            continue
        parts = line.split(" ")
        group = heads.get(parts[0])
        if group is None:
            group = heads[parts[0]] = ([], [])
        group[0].append(parts[1])
        group[1].append(parts[2] if len(parts) == 3 else "")
    columns = []
    for head, (fields, stamps) in heads.items():
        parsed = _head(head)
        if parsed is None:
            return None
        measurement, tags = parsed
        keys = [item.partition("=")[0] for item in fields[0].split(",")]
        lines = len(fields)
        # Every line of this head has the first line's keys in the same order, or the exact path decides.
        if len(set(keys)) != len(keys) or set(map(str.count, fields, repeat(","))) != {len(keys) - 1}:
            return None
        if "" in stamps:
            times = [int(stamp) * factor if stamp else default_ns for stamp in stamps]
        else:
            times = list(map(int, stamps))
            if factor != 1:
                times = [stamp * factor for stamp in times]
        items = ",".join(fields).split(",")
        for position, key in enumerate(keys):
            column = "," + ",".join(items[position :: len(keys)])
            prefix = "," + key + "="
            if column.count(prefix) != lines:
                return None
            columns.append((measurement, tags, key, times, _column_values(column.replace(prefix, ",")[1:], lines)))
    return columns
