"""Properties of the line-protocol parser: hostile input only ever raises LineProtocolError, valid points round-trip."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telemetry.lineprotocol import (
    MAX_LINE_BYTES,
    LineProtocolError,
    Point,
    _parse_scanned,
    _parse_text,
    parse_line,
    parse_lines,
)

# Derandomized so CI replays the same examples; the counts keep the file to a few seconds.
FUZZ = settings(max_examples=400, derandomize=True, database=None, deadline=None)

SEED_LINES = [
    b"cpu,cpu=cpu0,host=web\\ 01 usage_user=12.5,usage_idle=84.0,n=3i,u=7u,ok=true 1700000000000000000",
    b'system,host=a uptime_format="3 days,  4:05",load1=0.5 1700000000',
    b'win_disk,instance=C:\\Temp,host=a\\,b\\=c free=1.5e+10,s="q\\"uote\\\\" -17',
    'Küche,raum=Wohnzimmer température=21.5,label="🚀"'.encode(),
]
SPECIALS = b' ,="\\#\n\r\t\x00\xff\xc3iuetTfF.-+e9_'


def _refuses_only_with_declared_error(data: bytes) -> None:
    try:
        point = parse_line(data)
    except LineProtocolError:
        pass
    else:
        assert isinstance(point, Point)
    points, errors = parse_lines(data)
    assert all(isinstance(p, Point) for p in points)
    for error in errors:
        assert 1 <= error.line <= data.count(b"\n") + 1
        assert len(error.reason) < 200


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_the_declared_error(data):
    _refuses_only_with_declared_error(data)


@st.composite
def mutated_lines(draw):
    line = bytearray(draw(st.sampled_from(SEED_LINES)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(line)))
        byte = draw(st.sampled_from(SPECIALS))
        match draw(st.sampled_from(["insert", "replace", "delete"])):
            case "insert":
                line.insert(at, byte)
            case "replace" if at < len(line):
                line[at] = byte
            case _ if at < len(line):
                del line[at]
    return bytes(line)


@FUZZ
@given(mutated_lines())
def test_mutated_valid_lines_raise_only_the_declared_error(data):
    _refuses_only_with_declared_error(data)


@FUZZ
@given(
    st.sampled_from(["nan", "NaN", "-nan", "inf", "-inf", "+inf", "Inf", "INF", "Infinity", "-Infinity", "1e309"]),
    st.sampled_from(["", "i", "u"]),
)
def test_nan_and_infinity_are_refused(value, suffix):
    with pytest.raises(LineProtocolError):
        parse_line(f"m v={value}{suffix}")


@FUZZ
@given(st.integers(-(2**70), 2**70), st.sampled_from(["i", "u"]))
def test_integers_are_kept_exactly_or_refused_out_of_range(value, suffix):
    low, high = (-(2**63), 2**63 - 1) if suffix == "i" else (0, 2**64 - 1)
    if low <= value <= high:
        assert parse_line(f"m v={value}{suffix}").fields["v"] == value
    else:
        with pytest.raises(LineProtocolError, match="out of range"):
            parse_line(f"m v={value}{suffix}")


@FUZZ
@given(st.integers(-(2**70), 2**70), st.sampled_from([("ns", 1), ("us", 10**3), ("ms", 10**6), ("s", 10**9)]))
def test_timestamps_are_scaled_exactly_or_refused_out_of_range(value, precision):
    name, factor = precision
    if -(2**63) <= value * factor <= 2**63 - 1:
        assert parse_line(f"m v=1 {value}", precision=name).timestamp_ns == value * factor
    else:
        with pytest.raises(LineProtocolError, match="timestamp"):
            parse_line(f"m v=1 {value}", precision=name)


@settings(FUZZ, max_examples=30, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.integers(MAX_LINE_BYTES - 64, MAX_LINE_BYTES + 64), st.sampled_from([b"x", b"\\", b'"', b",", b"\xff"]))
def test_huge_lines_are_refused_or_parsed_without_other_errors(size, filler):
    prefix = b'm,t=a s="'
    line = prefix + filler * (size - len(prefix) - 1) + b'"'
    _refuses_only_with_declared_error(line)
    if len(line) > MAX_LINE_BYTES:
        with pytest.raises(LineProtocolError, match="line longer than"):
            parse_line(line)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list('ab=, \\"#.-1ie')), max_size=40))
def test_bad_escapes_raise_only_the_declared_error(text):
    _refuses_only_with_declared_error(text.encode())


@FUZZ
@given(st.text(alphabet=st.sampled_from(list('ab=, \\"#.-1ietf')), min_size=1, max_size=40))
def test_fast_paths_agree_with_the_scanner(text):
    """The split-based paths are an optimisation: on any line they must say what the scanner says."""
    outcomes = []
    for parse in (_parse_text, _parse_scanned):
        try:
            point = parse(text, 1, None)
            outcomes.append((point, [type(v) for v in point.fields.values()]))
        except LineProtocolError:
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1]


# Names are any text without control characters; a name cannot end in a backslash (the next
# separator would read as escaped, in InfluxDB too) and a measurement cannot start with "#".
_name_text = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=12)
names = _name_text.filter(lambda s: not s.endswith("\\"))
measurements = names.filter(lambda s: not s.startswith("#"))
field_values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(2**63, 2**64 - 1),
    st.booleans(),
    st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20),
)


@st.composite
def points(draw):
    return Point(
        measurement=draw(measurements),
        tags=draw(st.dictionaries(names, names, max_size=4)),
        fields=draw(st.dictionaries(names, field_values, min_size=1, max_size=5)),
        timestamp_ns=draw(st.none() | st.integers(-(2**63), 2**63 - 1)),
    )


def _escape(name: str, chars: str) -> str:
    for char in chars:
        name = name.replace(char, "\\" + char)
    return name


def _render(point: Point) -> str:
    """Line protocol as influxdb-client writes it (integers always with their suffix)."""

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return f"{v}u" if v > 2**63 - 1 else f"{v}i"
        if isinstance(v, float):
            return repr(v)
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'

    line = _escape(point.measurement, ", ")
    line += "".join(f",{_escape(k, ', =')}={_escape(v, ', =')}" for k, v in point.tags.items())
    line += " " + ",".join(f"{_escape(k, ', =')}={value(v)}" for k, v in point.fields.items())
    return line if point.timestamp_ns is None else f"{line} {point.timestamp_ns}"


@settings(FUZZ, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(points())
def test_rendered_point_parses_back_to_the_same_point(point):
    parsed = parse_line(_render(point))  # the generated points stay within every limit
    assert parsed == point
    for key, value in point.fields.items():
        assert type(parsed.fields[key]) is type(value)
        if isinstance(value, float):
            assert math.copysign(1, parsed.fields[key]) == math.copysign(1, value)
