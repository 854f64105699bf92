"""What the line-protocol parser yields (Point, LineError), its one error and its limits."""

from dataclasses import dataclass
from operator import itemgetter

MAX_LINE_BYTES = 64 * 1024
MAX_NAME_CHARS = 256  # measurement, tag keys, field keys
MAX_TAG_VALUE_CHARS = 1024
MAX_STRING_CHARS = 16 * 1024
MAX_TAGS = 64
MAX_FIELDS = 256

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1


class LineProtocolError(ValueError):
    """The one error this package raises: a line (or a precision) that is not valid line protocol."""


class Point(tuple):
    """One line: measurement (str), tags (dict), fields (dict) and timestamp_ns (int, or None).

    Immutable and compared like the frozen dataclass it replaces, but backed by a tuple: the parser
    makes one per line, and a frozen dataclass's __init__ cost as much as parsing a short line.
    """

    __slots__ = ()
    __match_args__ = ("measurement", "tags", "fields", "timestamp_ns")

    measurement = property(itemgetter(0))
    tags = property(itemgetter(1))
    fields = property(itemgetter(2))
    timestamp_ns = property(itemgetter(3))

    def __new__(
        cls,
        measurement: str,
        tags: dict[str, str],
        fields: dict[str, float | int | bool | str],
        timestamp_ns: int | None,
    ):
        return tuple.__new__(cls, (measurement, tags, fields, timestamp_ns))

    def __getnewargs__(self) -> tuple:  # for pickle and copy, which would pass one tuple
        return tuple(self)

    def __repr__(self) -> str:
        return "Point(measurement={!r}, tags={!r}, fields={!r}, timestamp_ns={!r})".format(*self)

    # Equal only to another Point, as the dataclass was, never to a plain tuple.
    def __eq__(self, other) -> bool:
        if isinstance(other, tuple):
            return type(other) is Point and tuple.__eq__(self, other)
        return NotImplemented

    def __ne__(self, other) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = tuple.__hash__  # a TypeError, like the dataclass's, since tags and fields are dicts


def new_point(parts: tuple, _new=tuple.__new__) -> Point:
    """A Point from (measurement, tags, fields, timestamp_ns), skipping the keyword-friendly __new__."""
    return _new(Point, parts)


@dataclass(frozen=True, slots=True)
class LineError:
    line: int  # 1-based line number in the body
    reason: str


def restore(name: str, equals: str = "=") -> str:
    """A name with split.protect's placeholders turned back into the characters they stand for."""
    if name.isprintable():
        return name
    return name.replace("\x00", " ").replace("\x01", ",").replace("\x02", equals)


def show(name: str) -> str:
    """A name for an error message, never long: reasons are logged and returned to senders."""
    name = restore(name)  # a name from split.parse_escaped may hold placeholders
    return repr(name if len(name) <= 32 else name[:32] + "...")
