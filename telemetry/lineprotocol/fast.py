"""The fast path: a plain line split, checked and converted in bulk, or None for the exact path."""

from math import inf as INF

from telemetry.lineprotocol.points import INT64_MAX, MAX_FIELDS, MAX_NAME_CHARS, MAX_TAGS, Point, new_point, restore
from telemetry.lineprotocol.split import protect, restore_parts
from telemetry.lineprotocol.values import BOOLEANS, check_sizes


def _shape(keys: list[str]) -> tuple:
    """The field keys of a series, each with its "=", and how many characters they and the commas take."""
    prefixes = [key + "=" for key in keys]
    return keys, prefixes, sum(map(len, prefixes)) + len(keys) - 1


def fast_parts(
    text: str, factor: int, default_ns: int | None, strings: dict | None = None, seen: dict | None = None
) -> tuple | None:
    """(measurement, tags, fields, timestamp_ns) of a line without backslashes, quotes or control
    characters (split.protect'ed escapes are fine), or None when anything is unusual, even if valid.
    `strings` maps quoted_point's markers to the string values they stand for; `seen` is parse_lines'
    cache of heads and field keys, or None for a line on its own.

    None sends the line to the exact path, which parses it or names its fault; this path never
    accepts what that one refuses, and the tests hold it to that. What it saves: checks that run
    once per line over all its values, and one conversion chosen per line rather than per value.
    """
    if seen is None:
        seen = {}
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
    # A head is parsed once per body: its tags are the same dict each time, copied for every point
    # but the first so that no two points share one (callers may change a point's dicts).
    series = seen.get(head)
    if series is None:
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
            if not tag_text.isprintable():  # escaped_point's placeholders: turned back once per head
                tags = {restore(k): restore(v) for k, v in tags.items()}
        seen[head] = (measurement, tags)
    else:
        measurement, tags = series
        tags = tags.copy()
    # Lines of one measurement mostly carry the same field keys, whatever their tags: taking the
    # keys of an earlier line with the same first key off each item is cheaper than splitting it,
    # and those keys come with their hashes computed. The cache key " key=" (sliced from the text
    # with its space) cannot be a head, which holds no space.
    first = text[len(head) : text.find("=", len(head)) + 1]
    shape = seen.get(first)
    items = body.split(",")
    pairs = None
    if shape is not None and len(items) == len(shape[0]):
        values = list(map(str.removeprefix, items, shape[1]))
        joined = "".join(values)
        # Each item began with its key and "=" (else the join is longer) and has no other "=".
        if len(joined) + shape[2] == len(body) and "=" not in joined:
            pairs = zip(shape[0], values)  # noqa: B905 - equal lengths; strict= costs a third of a float field
    if pairs is None:
        try:
            raw = dict([item.split("=") for item in items])
        except ValueError:  # an item without "=" or with two
            return None
        if len(raw) != len(items) or len(raw) > MAX_FIELDS or "" in raw:
            return None
        values, pairs = raw.values(), raw.items()
        joined = "".join(values)
        # Learnt from the second line with this first key, so that a one-off costs no more than a look.
        if first in seen:
            seen[first] = _shape(list(raw))
        else:
            seen[first] = None
    # Unsigned decimals only (cpu lines): the checks below cannot fail, and none can overflow. The
    # last character first, as a line ending in an integer or a boolean is spared the rest.
    if joined[-1:] <= "9" and joined.isascii() and len(joined) <= 300 and joined.replace(".", "").isdigit():
        try:
            fields = {k: float(v) for k, v in pairs}
        except ValueError:  # "1.2.3" or an empty value
            return None
    else:
        # One look at all the values instead of one per value: float() and int() also take "_", a
        # leading "+", non-ASCII digits and (float) NaN and infinity, which are all refused, as is a
        # negative "u" integer. None of the valid spellings holds an "n".
        if "_" in joined or "=+" in body or "n" in joined or "N" in joined or not joined.isascii():
            return None
        if "-" in joined and "u" in joined and any(v[0] == "-" and v[-1] == "u" for v in values):
            return None
        booleans = strings or "t" in joined or "T" in joined or "f" in joined or "F" in joined
        words = BOOLEANS if strings is None else BOOLEANS | strings
        suffixes = joined.count("i") + joined.count("u")
        try:
            if not booleans and not suffixes:
                fields = {k: float(v) for k, v in pairs}  # signed, or with an exponent
            elif not booleans and suffixes == len(values):
                # Integers only (net, diskio): one suffix each, else int() refuses what is left of it.
                # Fewer than 20 characters are within range; a longer value takes the exact path.
                fields = {k: int(v[:-1]) for k, v in pairs if len(v) < 20}
                if len(fields) != len(values):
                    return None
            else:
                # The last character says the type: a digit or "." a float, "i" or "u" an integer, a
                # letter of a boolean otherwise. Anything malformed raises and goes to the exact path,
                # and so does an integer long enough to be out of range (words has no such key).
                fields = {
                    k: float(v) if (last := v[-1]) <= "9" else int(v[:-1]) if last in "iu" and len(v) < 20 else words[v]
                    for k, v in pairs
                }
        except (ValueError, KeyError, IndexError):
            return None
        # A float overflows to infinity only with an exponent or hundreds of digits.
        if ("e" in joined or "E" in joined or len(joined) > 300) and (
            INF in fields.values() or -INF in fields.values()
        ):
            return None
    if len(head) > MAX_NAME_CHARS or len(body) > MAX_NAME_CHARS:
        check_sizes(measurement, tags, fields)  # all else is valid, so the exact path's reason too
    return measurement, tags, fields, ts


def escaped_point(text: str, factor: int, default_ns: int | None, seen: dict | None = None) -> Point | None:
    """fast_parts for a line with backslashes (and no quotes or control characters)."""
    protected = protect(text)
    parts = fast_parts(protected, factor, default_ns, None, seen)
    if parts is None:
        return None
    # Only a backslash before a space, comma or "=" leaves a placeholder to turn back.
    return new_point(parts) if len(protected) == len(text) else restore_parts(*parts)


def quoted_point(text: str, factor: int, default_ns: int | None, seen: dict | None = None) -> Point | None:
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
    parts = fast_parts("".join(masked), factor, default_ns, strings, seen)
    return None if parts is None else new_point(parts)
