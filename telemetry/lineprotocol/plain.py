"""Plain line protocol, checked and parsed in columns: the fast way in for what sensors mostly send.

Most bodies a sensor or Telegraf sends are plain: ASCII names without escapes, numbers and booleans,
no quotes, single spaces between sections, an optional timestamp. plain_columns parses such a body a
column at a time: the whole body split at once, each field's values converted at once, the names
checked once per distinct head and key rather than once per line. The HTTP endpoints parse with it
before they answer and queue the columns (telemetry.ingest.plainforward); workers parse the socket
listener's lines with it (telemetry.services.lines).

It accepts a strict subset of what parse_lines and readings_from_point accept, and yields the same
readings; the tests hold it to both, property by property. Anything outside it returns None and takes
the exact path, which parses line by line and names every fault. Its limits are tighter than the
exact path's, so that no reading check can fail: names of printable ASCII without escapes, of at most
64 characters (a metric is then at most 129), at most 32 tags of at most 256 characters, integers
within int64, finite floats, timestamps of at most 19 digits, no blank or comment lines inside.
"""

import re
from itertools import groupby, repeat
from math import inf
from operator import itemgetter

from telemetry.lineprotocol.points import MAX_FIELDS, LineProtocolError
from telemetry.lineprotocol.values import field_value

NAME = r"[!#-+\--<>-\[\]-~]"  # printable ASCII but space, '"', ',', '=' and '\'
HEAD = re.compile(rf"(?!#){NAME}{{1,64}}(?:,(?![$]){NAME}{{1,64}}={NAME}{{1,256}}){{0,32}}")
KEY = re.compile(rf"{NAME}{{1,64}}")
SENSOR_TAG = ",sensor="
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_TIMESTAMP_DIGITS = 19

FLOAT_CHARS = str.maketrans("", "", "0123456789.-+eE,")
INT_CHARS = str.maketrans("", "", "0123456789-i,")
UINT_CHARS = str.maketrans("", "", "0123456789u,")


class NotPlain(ValueError):
    """The body is outside the plain subset (which says nothing about whether it is valid)."""


def _numbers_in_range(values: list[int]) -> list[int]:
    if min(values) < INT64_MIN or max(values) > INT64_MAX:
        raise NotPlain("integer out of int64")
    return values


def _suffixed(text: str, suffix: str, count: int) -> bool:
    """Each of the `count` comma-separated values ends with `suffix`, which appears nowhere else."""
    return text.count(suffix) == count and text.count(suffix + ",") == count - 1 and text.endswith(suffix)


def column_values(text: str, count: int) -> list:
    """A field's `count` values, comma-separated, converted exactly as field_value converts each one."""
    if not text.translate(FLOAT_CHARS):
        # Only digits, ".", "e", "E", "+" and "-": float() then parses exactly what field_value does, once
        # no value starts with "+" (field_value refuses that). float() refuses "1e", ".", "-", "1.2.3".
        if text.startswith("+") or ",+" in text:
            raise NotPlain("a value starts with +")
        values = list(map(float, text.split(",")))
        if inf in values or -inf in values:
            raise NotPlain("a float overflows")
        return values
    if _suffixed(text, "i", count) and not text.translate(INT_CHARS):
        return _numbers_in_range(list(map(int, text.replace("i", "").split(","))))
    if _suffixed(text, "u", count) and not text.translate(UINT_CHARS):
        return _numbers_in_range(list(map(int, text.replace("u", "").split(","))))
    # Booleans, or a field whose type changes from line to line: the exact path's own conversion.
    values = [field_value("", value) for value in text.split(",")]
    if any(type(value) is int and not INT64_MIN <= value <= INT64_MAX for value in values):
        raise NotPlain("integer out of int64")
    return values


def _head(head: str) -> tuple[str, dict]:
    if not HEAD.fullmatch(head):
        raise NotPlain("head")
    measurement, _, tag_text = head.partition(",")
    if not tag_text:
        return measurement, {}
    items = tag_text.split(",")
    tags = dict(item.split("=") for item in items)
    if len(tags) != len(items):
        raise NotPlain("a repeated tag")
    return measurement, tags


def _keys_of(fields: str) -> list[str]:
    keys = [item.partition("=")[0] for item in fields.split(",")]
    if len(keys) > MAX_FIELDS or len(set(keys)) != len(keys) or not all(map(KEY.fullmatch, keys)):
        raise NotPlain("field keys")
    return keys


def _columns(fields: list[str], keys: list[str]) -> list[list] | None:
    """Each key's values over lines that all hold `keys` in that order, or None when they do not."""
    if set(map(str.count, fields, repeat(","))) != {len(keys) - 1}:
        return None
    items = ",".join(fields).split(",")
    texts = []
    for position, key in enumerate(keys):
        column = "," + ",".join(items[position :: len(keys)])
        prefix = "," + key + "="
        if column.count(prefix) != len(fields):
            return None
        texts.append(column.replace(prefix, ",")[1:])
    return [column_values(text, len(fields)) for text in texts]


def _layouts(fields: list[str], times: list[int]) -> list[tuple[list[str], list[int], list[list]]]:
    """(keys, times, a column per key) for a head's lines: one layout when all lines hold the same keys.

    Lines of one head with other keys (`weather temp=1` then `weather hum=2`) are taken a layout at a
    time, each in line order. A key in two layouts must not repeat a time there: which line came later
    would be lost, so such a body is left to the exact path.
    """
    keys = _keys_of(fields[0])
    columns = _columns(fields, keys)
    if columns is not None:
        return [(keys, times, columns)]
    by_keys: dict[str, list[int]] = {}
    for position, line_fields in enumerate(fields):
        signature = ",".join(item.partition("=")[0] for item in line_fields.split(","))
        by_keys.setdefault(signature, []).append(position)
    layouts, seen = [], {}
    for positions in by_keys.values():
        keys = _keys_of(fields[positions[0]])
        layout_times = [times[position] for position in positions]
        columns = _columns([fields[position] for position in positions], keys)
        if columns is None:
            raise NotPlain("field keys")
        for key in keys:
            seen.setdefault(key, []).extend(layout_times)
        layouts.append((keys, layout_times, columns))
    if any(len(set(key_times)) != len(key_times) for key_times in seen.values()):
        raise NotPlain("a repeated time across layouts")
    return layouts


def _times(stamps: list[str], factor: int, default_ns: int) -> list[int]:
    present = [stamp for stamp in stamps if stamp] if "" in stamps else stamps
    if present:
        digits = "".join(present)
        if not digits.isdigit() or max(map(len, present)) > MAX_TIMESTAMP_DIGITS:
            raise NotPlain("timestamp")
    if len(present) == len(stamps):
        times = list(map(int, stamps))
        return times if factor == 1 else [stamp * factor for stamp in times]
    return [int(stamp) * factor if stamp else default_ns for stamp in stamps]


def _gathered(heads: list[str], lines: int, times: list[int], columns: list[list]) -> list[tuple]:
    """(head, times, columns) per head of lines given as whole-body lists: grouped in C, in line order."""
    if len(dict.fromkeys(heads)) == 1:
        return [(heads[0], times, columns)]
    groups = []
    # A stable sort of line numbers by head, then runs of one head: line order is kept within a head.
    for head, run in groupby(sorted(range(lines), key=heads.__getitem__), heads.__getitem__):
        members = list(run)
        if len(members) == 1:
            (at,) = members
            groups.append((head, [times[at]], [[column[at]] for column in columns]))
        else:
            pick = itemgetter(*members)
            groups.append((head, list(pick(times)), [list(pick(column)) for column in columns]))
    return groups


def _whole_body(text: str, factor: int) -> list[tuple] | None:
    """(head, keys, times, columns) groups of a body whose every line has a timestamp and the same field keys.

    What a Telegraf or sensor batch mostly is: split at once, each field converted as one column for all
    lines, then the lines grouped by head. None when the body is not so laid out.
    """
    lines = text.count("\n") + 1
    flat = text.replace("\n", " ").split(" ")
    if len(flat) != 3 * lines or "" in flat:
        return None
    heads, fields, stamps = flat[0::3], flat[1::3], flat[2::3]
    keys = _keys_of(fields[0])
    columns = _columns(fields, keys)
    if columns is None:
        return None
    times = _times(stamps, factor, 0)
    return [
        (head, keys, head_times, head_columns)
        for head, head_times, head_columns in _gathered(heads, lines, times, columns)
    ]


def _split_lines(text: str) -> list[tuple[str, list[str], list[str]]]:
    heads: dict[str, tuple[list, list]] = {}
    for line in text.split("\n"):
        parts = line.split(" ")
        if not 2 <= len(parts) <= 3 or "" in parts:
            raise NotPlain("sections")
        group = heads.get(parts[0])
        if group is None:
            group = heads[parts[0]] = ([], [])
        group[0].append(parts[1])
        group[1].append(parts[2] if len(parts) == 3 else "")
    return [(head, fields, stamps) for head, (fields, stamps) in heads.items()]


def plain_columns(text: str, factor: int, default_ns: int) -> list[tuple[str, dict, str, list[int], list]] | None:
    """(measurement, tags, field key, times in ns, values) per head and field of a plain body, or None.

    None when the body is outside the plain subset: parse it with the exact path. Times of lines without
    a timestamp are `default_ns`; the others are multiplied by `factor`. Whether they are recent enough
    is the caller's rule. Columns of one head share its tags dict and its times list.
    """
    if not text.isascii() or '"' in text or "\\" in text:
        return None
    text = text.rstrip("\n")
    # No control character but the newlines: float() would take a tab or CR around a number for whitespace.
    if not text.replace("\n", "").isprintable():
        return None
    if not text:
        return None
    try:
        whole = _whole_body(text, factor)
        if whole is not None:
            layouts = [(head, [(keys, times, values)]) for head, keys, times, values in whole]
        else:
            layouts = [
                (head, _layouts(fields, _times(stamps, factor, default_ns)))
                for head, fields, stamps in _split_lines(text)
            ]
        columns = []
        for head, head_layouts in layouts:
            measurement, tags = _head(head)
            for keys, times, values in head_layouts:
                columns += [(measurement, tags, key, times, column) for key, column in zip(keys, values, strict=True)]
    except (NotPlain, LineProtocolError, ValueError):
        return None
    return columns
