"""Reading validation: the rules every ingest path shares."""

import math

import pytest

from telemetry.lineprotocol import parse_line
from telemetry.readings import (
    NS_PER_SECOND,
    ReadingRejected,
    metric_for,
    reading_make,
    readings_from_point,
)

NOW = 1_790_000_000 * NS_PER_SECOND


def test_a_valid_reading_becomes_its_wire_form():
    assert reading_make(7, "temperature", NOW, 21.5, 3, {"room": "a"}, now=NOW) == [
        7, "temperature", NOW, 21.5, 3, {"room": "a"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("metric", "value", "ts", "seq", "tags", "reason"),
    [
        ("", 1.0, NOW, 0, None, "metric must be"),
        ("m" * 201, 1.0, NOW, 0, None, "metric must be"),
        ("a\x1bb", 1.0, NOW, 0, None, "control characters"),
        (5, 1.0, NOW, 0, None, "metric must be"),
        ("t", math.nan, NOW, 0, None, "finite"),
        ("t", math.inf, NOW, 0, None, "finite"),
        ("t", 2**63, NOW, 0, None, "int64"),
        ("t", [1], NOW, 0, None, "number, a boolean or a string"),
        ("t", None, NOW, 0, None, "number, a boolean or a string"),
        ("t", "x" * 1025, NOW, 0, None, "string value longer"),
        ("t", 1.0, NOW - 8 * 86400 * NS_PER_SECOND, 0, None, "older than"),
        ("t", 1.0, NOW + 301 * NS_PER_SECOND, 0, None, "in the future"),
        ("t", 1.0, float(NOW), 0, None, "integer number of nanoseconds"),
        ("t", 1.0, True, 0, None, "integer number of nanoseconds"),
        ("t", 1.0, NOW, -1, None, "seq must be"),
        ("t", 1.0, NOW, 1.5, None, "seq must be"),
        ("t", 1.0, NOW, 0, {"k": 1}, "each tag"),
        ("t", 1.0, NOW, 0, {f"k{i}": "v" for i in range(33)}, "at most 32"),
        ("t", 1.0, NOW, 0, ["k"], "tags must be"),
    ],
)
def test_bad_readings_are_rejected_with_a_reason(metric, value, ts, seq, tags, reason):
    with pytest.raises(ReadingRejected, match=reason):
        reading_make(1, metric, ts, value, seq, tags, now=NOW)


def test_each_field_of_a_point_is_a_reading_and_value_names_the_measurement_itself():
    point = parse_line(f"weather,site=roof temp=3.5,value=1i {NOW}")
    readings = readings_from_point(9, point, now=NOW)
    assert sorted(readings) == sorted([
        [9, "weather.temp", NOW, 3.5, 0, {"site": "roof"}],
        [9, "weather", NOW, 1, 0, {"site": "roof"}],
    ])  # fmt: skip


def test_a_point_without_a_timestamp_takes_the_servers_clock():
    (reading,) = readings_from_point(9, parse_line("door open=true"), now=NOW)
    assert reading == [9, "door.open", NOW, True, 0, None]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (f"m,k={'v' * 300} f=1 {NOW}", "each tag"),
        (f"{'m' * 150} {'f' * 60}=1 {NOW}", "metric must be"),
        (f"m f=18446744073709551615u {NOW}", "int64"),
        (f'm f="{"x" * 1025}" {NOW}', "string value longer"),
        (f"m f=1 {NOW + 3600 * NS_PER_SECOND}", "in the future"),
        ("m\u0085 f=1", "control characters"),
        ("m f\u2028=1", "control characters"),
    ],
)
def test_points_obey_the_same_rules_as_single_readings(line, reason):
    with pytest.raises(ReadingRejected, match=reason):
        readings_from_point(1, parse_line(line), now=NOW)


def test_points_share_their_checks_with_reading_make_field_by_field():
    point = parse_line(f'room,floor=2 temp=21.5,count=3i,ok=true,label="a b" {NOW}')
    assert readings_from_point(4, point, now=NOW) == [
        reading_make(4, metric_for("room", field), NOW, value, 0, {"floor": "2"}, now=NOW)
        for field, value in point.fields.items()
    ]
