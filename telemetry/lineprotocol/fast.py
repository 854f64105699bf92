"""The fast path: a plain line split, checked and converted in bulk, or None for the exact path."""

from math import inf as INF

from telemetry.lineprotocol.points import INT64_MAX, MAX_FIELDS, MAX_NAME_CHARS, MAX_TAGS, Point, new_point
from telemetry.lineprotocol.split import protect, restore_parts
from telemetry.lineprotocol.values import BOOLEANS, check_sizes


def fast_parts(text: str, factor: int, default_ns: int | None, strings: dict | None = None) -> tuple | None:
    """(measurement, tags, fields, timestamp_ns) of a line without backslashes, quotes or control
    characters (split.protect'ed escapes are fine), or None when anything is unusual, even if valid.
    `strings` maps quoted_point's markers to the string values they stand for.

    None sends the line to the exact path, which parses it or names its fault; this path never
    accepts what that one refuses, and the tests hold it to that. What it saves: checks that run
    once per line over all its values, and one conversion chosen per line rather than per value.
    """
    sections = text.split(" ")
    if len(sections) == 3:
        head, body, raw_ts = sections
        if not (raw_ts.isdigit() and raw_ts.isascii()):
            return None
        ts = int(raw_ts) * factor
        if ts > INT64_MAX:
            return None
    elif len(sections) == 2:
        head, body = sections
        ts = default_ns
    else:
        return None
    measurement, comma, tag_text = head.partition(",")
    if not measurement or measurement[0] == "#":  # a comment, for parse_lines
        return None
    tags = {}
    if comma:
        tag_items = tag_text.split(",")
        try:
            tags = dict([item.split("=") for item in tag_items])
        except ValueError:  # an item without "=" or with two
            return None
        if len(tags) != len(tag_items) or len(tags) > MAX_TAGS or "" in tags or "" in tags.values():
            return None
    items = body.split(",")
    try:
        raw = dict([item.split("=") for item in items])
    except ValueError:
        return None
    if len(raw) != len(items) or len(raw) > MAX_FIELDS or "" in raw:
        return None
    # One look at all the values instead of one per value: float() and int() also take "_", a
    # leading "+", non-ASCII digits and (float) NaN and infinity, which are all refused, as is a
    # negative "u" integer. None of the valid spellings holds an "n".
    values = "".join(raw.values())
    if "_" in values or "=+" in body or "n" in values or "N" in values or not values.isascii():
        return None
    if "-" in values and "u" in values and any(v[0] == "-" and v[-1] == "u" for v in raw.values()):
        return None
    booleans = strings or "t" in values or "T" in values or "f" in values or "F" in values
    words = BOOLEANS if strings is None else BOOLEANS | strings
    suffixes = values.count("i") + values.count("u")
    try:
        if not booleans and not suffixes:
            fields = {k: float(v) for k, v in raw.items()}  # cpu lines
        elif not booleans and suffixes == len(raw):
            # Integers only (net, diskio): one suffix each, else int() refuses what is left of it.
            # Fewer than 20 characters are within range; a longer value takes the exact path.
            fields = {k: int(v[:-1]) for k, v in raw.items() if len(v) < 20}
            if len(fields) != len(raw):
                return None
        else:
            # The last character says the type: a digit or "." a float, "i" or "u" an integer, a
            # letter of a boolean otherwise. Anything malformed raises and goes to the exact path,
            # and so does an integer long enough to be out of range (words has no such key).
            fields = {
                k: float(v) if (last := v[-1]) <= "9" else int(v[:-1]) if last in "iu" and len(v) < 20 else words[v]
                for k, v in raw.items()
            }
    except (ValueError, KeyError, IndexError):
        return None
    # A float overflows to infinity only with an exponent or hundreds of digits.
    if ("e" in values or "E" in values or len(values) > 300) and (INF in fields.values() or -INF in fields.values()):
        return None
    if len(head) > MAX_NAME_CHARS or len(body) > MAX_NAME_CHARS:
        check_sizes(measurement, tags, fields)  # all else is valid, so the exact path's reason too
    return measurement, tags, fields, ts


def escaped_point(text: str, factor: int, default_ns: int | None) -> Point | None:
    """fast_parts for a line with backslashes (and no quotes or control characters)."""
    protected = protect(text)
    parts = fast_parts(protected, factor, default_ns)
    if parts is None:
        return None
    # Only a backslash before a space, comma or "=" leaves a placeholder to turn back.
    return new_point(parts) if len(protected) == len(text) else restore_parts(*parts)


def quoted_point(text: str, factor: int, default_ns: int | None) -> Point | None:
    """fast_parts for a short line whose quotes all enclose field values (no backslashes, no controls)."""
    if "\\" in text or len(text) > MAX_NAME_CHARS:  # so no string can be too long
        return None
    pieces = text.split('"')
    if len(pieces) % 2 == 0 or " " not in pieces[0]:  # an unpaired quote, or one before the fields
        return None
    # Each string becomes a marker of DEL characters, which a clean line cannot hold and which
    # fast_parts looks up like a boolean's spelling; every string must be a whole field value.
    strings = {}
    masked = [pieces[0]]
    for i in range(1, len(pieces), 2):
        after = pieces[i + 1]
        if pieces[i - 1][-1:] != "=" or after[:1] not in ("", ",", " ") or (not after and i + 2 < len(pieces)):
            return None
        marker = "\x7f" * (len(strings) + 1)
        strings[marker] = pieces[i]
        masked += (marker, after)
    parts = fast_parts("".join(masked), factor, default_ns, strings)
    return None if parts is None else new_point(parts)
