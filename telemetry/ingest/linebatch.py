"""Line-protocol bodies to readings: precision names, the `sensor` tag, per-line rejections.

With a sensor token every line belongs to that sensor. With a user API token each line names its
sensor in a `sensor=<id>` tag. Either way a `sensor` tag is removed before storing (with a sensor
token it must name that same sensor if present), so it never becomes a reading's tag.
"""

from telemetry.ingest.auth import IngestPrincipal
from telemetry.ingest.batch import Batch, Rejection
from telemetry.ingest.errors import IngestRefused
from telemetry.lineprotocol import LineError, Point, parse_lines
from telemetry.readings import ReadingRejected, readings_from_point
from telemetry.services.rejects import UNKNOWN_SENSOR

SENSOR_TAG = "sensor"
V2_PRECISIONS = {"ns": ("ns", 1), "us": ("us", 1), "ms": ("ms", 1), "s": ("s", 1)}
# InfluxDB 1.x names; minutes and hours are parsed as seconds and scaled, as our parser stops at seconds.
V1_PRECISIONS = {
    "n": ("ns", 1),
    "ns": ("ns", 1),
    "u": ("us", 1),
    "us": ("us", 1),
    "µ": ("us", 1),
    "ms": ("ms", 1),
    "s": ("s", 1),
    "m": ("s", 60),
    "h": ("s", 3600),
}
MAX_SENSOR_ID_DIGITS = 18


def precision_for(name: str, *, v1: bool) -> tuple[str, int]:
    """(parser precision, scale) for a `precision` query value; IngestRefused when unknown."""
    known = V1_PRECISIONS if v1 else V2_PRECISIONS
    if name not in known:
        raise IngestRefused(f"Unknown precision; use one of {', '.join(known)}.")
    return known[name]


def _point_lines(body: bytes, errors: list[LineError]) -> list[int]:
    """The line number of each parsed point, in order: lines neither blank, comment nor in error."""
    bad = {error.line for error in errors}
    numbers = []
    for number, line in enumerate(body.split(b"\n"), 1):
        if number in bad:
            continue
        text = line[:-1] if line.endswith(b"\r") else line
        stripped = text.lstrip(b" ")
        if stripped and not stripped.startswith(b"#"):
            numbers.append(number)
    return numbers


def _named_sensors(points: list[Point], principal: IngestPrincipal) -> set[int]:
    names = {point.tags.get(SENSOR_TAG) for point in points}
    ids = {int(n) for n in names if n and n.isascii() and n.isdigit() and len(n) <= MAX_SENSOR_ID_DIGITS}
    return principal.writable(ids)


def _sensor_of(point: Point, principal: IngestPrincipal, writable: set[int]) -> tuple[int, Point]:
    name = point.tags.get(SENSOR_TAG)
    if name is None:
        if principal.sensor_id is None:
            raise ReadingRejected("a sensor=<id> tag is required with an API token")
        return principal.sensor_id, point
    tags = {key: value for key, value in point.tags.items() if key != SENSOR_TAG}
    point = Point(point.measurement, tags, point.fields, point.timestamp_ns)
    if name.isascii() and name.isdigit() and len(name) <= MAX_SENSOR_ID_DIGITS and int(name) in writable:
        return int(name), point
    raise ReadingRejected("this token may not write that sensor (unknown, disabled or not yours)")


def line_batch(body: bytes, principal: IngestPrincipal, *, precision: str, scale: int, now: int) -> Batch:
    """Parse and validate a line-protocol body; every bad line becomes a Rejection with its number."""
    points, errors = parse_lines(body, precision=precision)
    default_sensor = UNKNOWN_SENSOR if principal.sensor_id is None else principal.sensor_id
    batch = Batch(rejections=[Rejection(error.line, error.reason, default_sensor) for error in errors])
    writable = {principal.sensor_id} if principal.sensor_id is not None else _named_sensors(points, principal)
    numbers = None  # worked out only when a parsed point is rejected, which is rare
    for index, point in enumerate(points):
        sensor_id = default_sensor
        try:
            sensor_id, point = _sensor_of(point, principal, writable)
            if scale != 1 and point.timestamp_ns is not None:
                point = Point(point.measurement, point.tags, point.fields, point.timestamp_ns * scale)
            batch.readings.extend(readings_from_point(sensor_id, point, now=now))
        except ReadingRejected as exc:
            numbers = numbers or _point_lines(body, errors)
            batch.rejections.append(Rejection(numbers[index], str(exc), sensor_id))
    batch.rejections.sort(key=lambda rejection: rejection.position)
    return batch
