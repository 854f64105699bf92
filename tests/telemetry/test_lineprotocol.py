"""The line-protocol parser: InfluxDB's documented examples parse, every malformed line is refused with its reason."""

import pytest

from telemetry.lineprotocol import (
    MAX_FIELDS,
    MAX_LINE_BYTES,
    MAX_NAME_CHARS,
    MAX_STRING_CHARS,
    MAX_TAG_VALUE_CHARS,
    MAX_TAGS,
    LineError,
    LineProtocolError,
    Point,
    parse_line,
    parse_lines,
)


def test_reference_example_with_tags_fields_and_timestamp():
    point = parse_line(b'myMeasurement,tag1=value1,tag2=value2 fieldKey="fieldValue" 1556813561098000000')
    assert point == Point(
        measurement="myMeasurement",
        tags={"tag1": "value1", "tag2": "value2"},
        fields={"fieldKey": "fieldValue"},
        timestamp_ns=1556813561098000000,
    )


def test_str_input_and_missing_timestamp():
    assert parse_line("home,room=Kitchen temp=21.5") == Point("home", {"room": "Kitchen"}, {"temp": 21.5}, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.0", 1.0),
        ("1", 1.0),
        ("-1.234456e+78", -1.234456e78),
        ("1e-05", 1e-05),
        (".5", 0.5),
        ("5.", 5.0),
        ("1i", 1),
        ("12485903i", 12485903),
        ("-12485903i", -12485903),
        ("9223372036854775807i", 2**63 - 1),
        ("-9223372036854775808i", -(2**63)),
        ("1u", 1),
        ("18446744073709551615u", 2**64 - 1),
        ('"this is a string"', "this is a string"),
        ('""', ""),
    ],
)
def test_each_field_type(raw, expected):
    value = parse_line(f"m fieldKey={raw}").fields["fieldKey"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("raw", ["t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"])
def test_every_boolean_spelling(raw):
    assert parse_line(f"m b={raw}").fields["b"] is (raw[0] in "tT")


@pytest.mark.parametrize(
    ("precision", "timestamp"),
    [("ns", "1556813561098000000"), ("us", "1556813561098000"), ("ms", "1556813561098"), ("s", "1556813561")],
)
def test_timestamps_scale_by_precision(precision, timestamp):
    point = parse_line(f"m v=1 {timestamp}", precision=precision)
    assert point.timestamp_ns == int(timestamp) * {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9}[precision]


def test_negative_timestamp_is_before_1970():
    assert parse_line("m v=1 -1", precision="s").timestamp_ns == -(10**9)


def test_missing_timestamp_takes_now_truncated_to_precision():
    assert parse_line("m v=1", precision="s", now_ns=1_700_000_000_123_456_789).timestamp_ns == 1_700_000_000 * 10**9
    assert parse_line("m v=1", now_ns=5).timestamp_ns == 5


@pytest.mark.parametrize(
    ("line", "measurement", "tags", "fields"),
    [
        # InfluxDB's reference: spaces and commas escaped in measurements, also "=" in keys.
        (r'my\ Measurement fieldKey="string value"', "my Measurement", {}, {"fieldKey": "string value"}),
        (r"my\,Measurement v=1", "my,Measurement", {}, {"v": 1.0}),
        (
            r"myMeasurement,tag\ Key1=tag\ Value1,tag\ Key2=tag\ Value2 fieldKey=100",
            "myMeasurement",
            {"tag Key1": "tag Value1", "tag Key2": "tag Value2"},
            {"fieldKey": 100.0},
        ),
        (r"m,a\,b=c\=d field\=key=1i", "m", {"a,b": "c=d"}, {"field=key": 1}),
        (
            r'myMeasurement fieldKey="\"string\" within a string"',
            "myMeasurement",
            {},
            {"fieldKey": '"string" within a string'},
        ),
        (r'm s="back\\slash"', "m", {}, {"s": "back\\slash"}),
        # A backslash before anything else stays: Telegraf sends Windows paths unescaped.
        (r'win_disk,instance=C:\Temp s="C:\Temp"', "win_disk", {"instance": "C:\\Temp"}, {"s": "C:\\Temp"}),
        # In a run of backslashes only the last one escapes, as in InfluxDB's decoder.
        (r"m,t=a\\\ b v=1", "m", {"t": "a\\\\ b"}, {"v": 1.0}),
        # "=" needs no escape in a measurement, and "\=" stays as it is there.
        (r"a=b,t=1 v=1", "a=b", {"t": "1"}, {"v": 1.0}),
        (r"a\=b v=1", "a\\=b", {}, {"v": 1.0}),
        # String fields keep spaces, commas and equals signs; quotes are literal in names.
        ('m s="3 days,  4:05 = up",n=1i', "m", {}, {"s": "3 days,  4:05 = up", "n": 1}),
        ('q"m,t"=v" f"k=1', 'q"m', {'t"': 'v"'}, {'f"k': 1.0}),
        ('myMeasurement,tagKey=🍭 fieldKey="Launch 🚀"', "myMeasurement", {"tagKey": "🍭"}, {"fieldKey": "Launch 🚀"}),
        ("Küche,raum=Wohnzimmer température=21.5", "Küche", {"raum": "Wohnzimmer"}, {"température": 21.5}),
    ],
)
def test_escapes_and_special_characters(line, measurement, tags, fields):
    point = parse_line(line.encode())
    assert (point.measurement, point.tags, point.fields) == (measurement, tags, fields)


def test_spaces_around_sections_are_tolerated_like_influxdb():
    assert parse_line("  m,t=1   v=1,w=2i   17  ") == Point("m", {"t": "1"}, {"v": 1.0, "w": 2}, 17)


REFUSALS = [
    (b",t=a v=1", "empty measurement"),
    (b"cpu", "no fields"),
    (b"cpu,host=a", "no fields"),
    (b"cpu ", "no fields"),
    (b"cpu,t v=1", "malformed tag"),
    (b"cpu,t= v=1", "malformed tag"),
    (b"cpu,=a v=1", "malformed tag"),
    (b"cpu,t=a=b v=1", "malformed tag"),
    (b"cpu, v=1", "malformed tag"),
    (b"cpu,t=1,t=2 v=1", "duplicate tag 't'"),
    (b"cpu v", "malformed field"),
    (b"cpu v=", "malformed field"),
    (b"cpu =1", "malformed field"),
    (b"cpu v=1,", "malformed field"),
    (b"cpu v=1,v=2", "duplicate field 'v'"),
    (b'cpu v=1,v="x"', "duplicate field 'v'"),
    (b"cpu v=nan", "NaN and infinity"),
    (b"cpu v=NaN", "NaN and infinity"),
    (b"cpu v=inf", "NaN and infinity"),
    (b"cpu v=-Inf", "NaN and infinity"),
    (b"cpu v=+Infinity", "NaN and infinity"),
    (b"cpu v=1e400", "NaN and infinity"),
    (b"cpu v=-1e400", "NaN and infinity"),
    (b"cpu v=9223372036854775808i", "integer out of range"),
    (b"cpu v=-9223372036854775809i", "integer out of range"),
    (b"cpu v=18446744073709551616u", "integer out of range"),
    (b"cpu v=-1u", "integer out of range"),
    (b"cpu v=1.5i", "malformed integer"),
    (b"cpu v=i", "malformed integer"),
    (b"cpu v=1_000", "not a number"),
    (b"cpu v=+1", "not a number"),
    (b"cpu v=0x10", "malformed number"),
    (b"cpu v=1.2.3", "malformed number"),
    ("cpu v=١٢".encode(), "not a number"),
    (b"cpu v=yes", "not a number"),
    (b"cpu v=tRUE", "not a number"),
    (b"cpu v=abc", "not a number"),
    (b"cpu v=1 1.5", "timestamp is not an integer"),
    (b"cpu v=1 12a", "timestamp is not an integer"),
    (b"cpu v=1 -", "timestamp is not an integer"),
    (b"cpu v=1 99999999999999999999", "timestamp out of range"),
    (b"cpu v=1 9223372036854775808", "timestamp out of range"),
    (b"cpu v=1 1 2", "unexpected text after the timestamp"),
    (b'cpu s="abc', "unterminated string"),
    (b'cpu s="abc\\"', "unterminated string"),
    (b'cpu s="a"b', "unexpected character"),
    (b'cpu s="a" 1 2', "unexpected text after the timestamp"),
    (b"cpu\tx v=1", "control character at column 4"),
    (b"cpu v=1\x00", "control character"),
    (b'cpu s="tab\there"', "control character"),
    (b"cpu\xff v=1", "invalid UTF-8 at byte 4"),
    (b'cpu s="\xff"', "invalid UTF-8"),
    (b"cpu,t=\xed\xa0\x80 v=1", "invalid UTF-8"),  # an encoded surrogate is not UTF-8
]


@pytest.mark.parametrize(("line", "reason"), REFUSALS)
def test_malformed_line_is_refused_with_its_reason(line, reason):
    with pytest.raises(LineProtocolError, match=reason.replace("+", r"\+")):
        parse_line(line)
    points, errors = parse_lines(b"ok v=1\n" + line + b"\nok v=2")
    assert [p.fields for p in points] == [{"v": 1.0}, {"v": 2.0}]
    assert len(errors) == 1
    assert errors[0].line == 2
    assert reason in errors[0].reason


def test_timestamp_that_overflows_after_scaling_is_refused():
    parse_line("m v=1 9223372036", precision="s")
    with pytest.raises(LineProtocolError, match="timestamp out of range"):
        parse_line("m v=1 9223372037", precision="s")


def test_limits_are_enforced():
    with pytest.raises(LineProtocolError, match=f"line longer than {MAX_LINE_BYTES} bytes"):
        parse_line(b'm s="' + b"x" * MAX_LINE_BYTES + b'"')
    with pytest.raises(LineProtocolError, match=f"more than {MAX_FIELDS} fields"):
        parse_line("m " + ",".join(f"f{i}=1" for i in range(MAX_FIELDS + 1)))
    parse_line("m " + ",".join(f"f{i}=1" for i in range(MAX_FIELDS)))
    with pytest.raises(LineProtocolError, match=f"more than {MAX_TAGS} tags"):
        parse_line("m," + ",".join(f"t{i}=1" for i in range(MAX_TAGS + 1)) + " v=1")
    with pytest.raises(LineProtocolError, match=f"more than {MAX_TAGS} tags"):
        parse_line("m," + ",".join(f"t\\ {i}=1" for i in range(MAX_TAGS + 1)) + ' v="s"')
    with pytest.raises(LineProtocolError, match=f"longer than {MAX_NAME_CHARS} characters"):
        parse_line("m " + "k" * (MAX_NAME_CHARS + 1) + "=1")
    with pytest.raises(LineProtocolError, match=f"longer than {MAX_NAME_CHARS} characters"):
        parse_line("m" * (MAX_NAME_CHARS + 1) + " v=1")
    parse_line("m" * MAX_NAME_CHARS + " v=1")
    with pytest.raises(LineProtocolError, match=f"tag value is longer than {MAX_TAG_VALUE_CHARS}"):
        parse_line("m,t=" + "v" * (MAX_TAG_VALUE_CHARS + 1) + " v=1")
    with pytest.raises(LineProtocolError, match=f"string field is longer than {MAX_STRING_CHARS}"):
        parse_line('m s="' + "x" * (MAX_STRING_CHARS + 1) + '"')


def test_reason_never_echoes_a_huge_line():
    huge = b"m,t=" + b"x" * 60_000 + b"=y v=1"
    points, errors = parse_lines(huge)
    assert points == []
    assert "malformed tag" in errors[0].reason
    assert len(errors[0].reason) < 100


def test_mixed_batch_keeps_its_good_lines():
    body = b"\n".join(
        [
            b"cpu,host=a usage=1.5 1",  # 1
            b"cpu,host=a usage=nan 2",  # 2: refused
            b"# a comment",  # 3
            b"",  # 4
            b"cpu,host=b usage=2.5 3\r",  # 5: CRLF
            b"cpu,host=\xff usage=1 4",  # 6: refused
            b"   ",  # 7
            b"   # indented comment",  # 8
            b'cpu,host=c up="1 day",n=3i 5',  # 9
            b"",  # trailing newline
        ]
    )
    points, errors = parse_lines(body, precision="s")
    assert [(p.tags["host"], p.timestamp_ns) for p in points] == [("a", 10**9), ("b", 3 * 10**9), ("c", 5 * 10**9)]
    assert errors == [
        LineError(2, "field 'usage': NaN and infinity are refused"),
        LineError(6, "invalid UTF-8 at byte 10"),
    ]


def test_bytearray_and_memoryview_bodies_are_bytes_too():
    assert parse_lines(bytearray(b"m v=1\nm,t=\xff v=2"))[0] == [Point("m", {}, {"v": 1.0}, None)]
    assert parse_line(memoryview(b"m v=1")) == Point("m", {}, {"v": 1.0}, None)


def test_empty_body_has_no_points_and_no_errors():
    assert parse_lines(b"") == ([], [])
    assert parse_lines(b"\n\n# only comments\n") == ([], [])


def test_parse_line_refuses_what_is_not_one_point():
    with pytest.raises(LineProtocolError, match="blank or comment"):
        parse_line(b"# comment")
    with pytest.raises(LineProtocolError, match="blank or comment"):
        parse_line("")
    with pytest.raises(LineProtocolError, match="newline"):
        parse_line(b"m v=1\nm v=2")
    with pytest.raises(LineProtocolError, match="not valid Unicode"):
        parse_line("m,t=\udc80 v=1")


def test_unknown_precision_is_the_declared_error():
    with pytest.raises(LineProtocolError, match="unknown precision"):
        parse_lines(b"m v=1", precision="h")
    with pytest.raises(LineProtocolError, match="unknown precision"):
        parse_line("m v=1", precision="n")


def test_error_is_a_value_error():
    assert issubclass(LineProtocolError, ValueError)
