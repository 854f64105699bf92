"""The plain column parser: never accepts what the exact path refuses, never reads a line otherwise."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry.bucketcodec import chunks_unpack
from telemetry.buckets import SeriesBatch
from telemetry.lineprotocol import parse_lines
from telemetry.lineprotocol.plain import plain_columns
from telemetry.readings import ReadingRejected, readings_from_point
from telemetry.services.lines import LineParser, forwarded_body, forwarded_line, plain_series

FUZZ = settings(max_examples=400, derandomize=True, database=None, deadline=None)
NOW = time.time_ns()
NAME_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",=\\')

names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=8).filter(lambda name: name[0] not in "#$")
numbers = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    st.integers(-(10**17), 10**17).map(lambda value: f"{value}i"),
    st.integers(0, 10**17).map(lambda value: f"{value}u"),
    st.sampled_from(["t", "F", "true", "False", "TRUE", "1.", ".5", "-.5", "1e5", "2E-3", "1e+99", "007"]),
)


@st.composite
def plain_lines(draw, *, stamp: bool | None = None):
    measurement = draw(names)
    tags = draw(st.dictionaries(names, names, max_size=3))
    fields = draw(st.dictionaries(names, numbers, min_size=1, max_size=4))
    head = measurement + "".join(f",{key}={value}" for key, value in tags.items())
    line = head + " " + ",".join(f"{key}={value}" for key, value in fields.items())
    if stamp if stamp is not None else draw(st.booleans()):
        line += f" {NOW - draw(st.integers(0, 10**12))}"
    return line


def exact_readings(body: bytes, precision: str = "ns") -> list[list] | None:
    """The readings the exact path stores, or None if it refuses any line."""
    points, errors = parse_lines(body, precision=precision, now_ns=NOW)
    if errors:
        return None
    try:
        return [reading for point in points for reading in readings_from_point(1, point, now=NOW)]
    except ReadingRejected:
        return None


def documents(batch: SeriesBatch) -> list[tuple]:
    """Each series a batch stores, as (metric, tags, times, values, seqs), in a fixed order."""
    buckets, _series = batch.documents("0" * 24)
    chunks = [chunk for bucket in buckets for chunk in chunks_unpack(bucket)]
    return sorted((c.metric, sorted(c.tags.items()), c.times, c.values, c.seqs) for c in chunks)


def plain_batch(body: bytes) -> SeriesBatch | None:
    """What the plain path stores for a body (None: it leaves the body to the exact path)."""
    series = plain_series(body.decode("latin-1"), received_ns=NOW, precision="ns") if body.isascii() else None
    if series is None:
        return None
    batch = SeriesBatch()
    for metric, tags, times, values in series:
        batch.series_for(1, metric, tags or None).extend(times, values)
    return batch


@FUZZ
@given(st.lists(plain_lines(stamp=False), min_size=1, max_size=12), st.booleans(), st.booleans())
def test_a_plain_body_is_parsed_in_columns_exactly_as_the_exact_path_parses_it(lines, stamped, final_newline):
    # Each line its own time (or a single line without one): a series repeated at one time across lines
    # of another layout is the exact path's (test_lines_of_one_head_with_other_keys...).
    lines = [f"{line} {NOW - number}" for number, line in enumerate(lines)] if stamped else lines[:1]
    body = ("\n".join(lines) + ("\n" if final_newline else "")).encode()
    reference = exact_readings(body)
    assert reference is not None
    fast = plain_batch(body)
    assert fast is not None, body
    exact = SeriesBatch()
    exact.add_readings(reference)
    assert documents(fast) == documents(exact)
    # The same through the worker, as a forwarded record.
    forwarded, parser = SeriesBatch(), LineParser()
    parser.into([forwarded_body(1, NOW, body.decode(), "ns")], forwarded)
    assert not parser.rejects
    assert documents(forwarded) == documents(exact)


@st.composite
def mutated_bodies(draw):
    body = bytearray("\n".join(draw(st.lists(plain_lines(stamp=True), min_size=1, max_size=4))).encode())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(body)))
        byte = draw(st.sampled_from(b' ,="\\#\n\r\t\x00\xffiuetTfFnN.-+e9_$'))
        if draw(st.booleans()) or at == len(body):
            body.insert(at, byte)
        else:
            body[at] = byte
    return bytes(body)


@FUZZ
@given(mutated_bodies())
def test_whatever_the_plain_path_accepts_the_exact_path_stores_the_same(body):
    fast = plain_batch(body)
    if fast is None:
        return
    reference = exact_readings(body)
    assert reference is not None, body
    exact = SeriesBatch()
    exact.add_readings(reference)
    assert documents(fast) == documents(exact)


@pytest.mark.parametrize(
    "body",
    [
        b"m,a=1,a=2 v=1",  # a repeated tag key
        b"m v=1,v=2",  # a repeated field key
        b"m v=nan",
        b"m v=1e999",
        b"m v=9223372036854775808i",
        b'm v="text"',  # strings take the exact path
        b"m\\ x v=1",  # so do escapes
        b"# comment\nm v=1",
        b"m v=1\n\nm v=2",  # and blank lines
        b"m v=1\r\n",
        b"m  v=1",
        b"m v=1 ",
        b"m,$k=1 v=1",
        b"m v=1 -5",
        b"m v=1 99999999999999999999",
        b"\xc3\xa9 v=1",
        b"m," + b"k" * 65 + b"=1 v=1",
        b"m v=+1",
        b"m v=i5i",
        b"m v=5ii",
        b"m v=1e",
        b"m v=-u",
        b"m v=-1u",
        b"m v= 5",
        b"m v=\t5,w=t",  # float() and field_value take a tab for whitespace; the exact path refuses it
        b"m v=5\x0b",
        b"m v=,w=1 5",
        b"m v=1 2 3",
        b"",
    ],
)
def test_bodies_outside_the_plain_grammar_are_left_to_the_exact_path(body):
    assert plain_columns(body.decode("latin-1"), 1, NOW) is None


def test_lines_of_one_head_with_other_keys_are_taken_a_layout_at_a_time():
    columns = plain_columns("weather temp=1 5\nweather hum=2i 5\nweather temp=3,hum=4i 6\nweather temp=5 7", 1, NOW)
    assert sorted(columns) == [
        ("weather", {}, "hum", [5], [2]),
        ("weather", {}, "hum", [6], [4]),
        ("weather", {}, "temp", [5, 7], [1.0, 5.0]),
        ("weather", {}, "temp", [6], [3.0]),
    ]
    # The same time for one key in two layouts: only line order says which wins, so the exact path decides.
    assert plain_columns("weather temp=1 5\nweather temp=3,hum=4i 5", 1, NOW) is None


def test_columns_share_their_heads_times_and_take_the_default_time_where_a_line_has_none():
    columns = plain_columns("m v=1 30\nm v=2 10\nm v=3\nm v=4 200\n", 1, NOW)
    assert columns == [("m", {}, "v", [30, 10, NOW, 200], [1.0, 2.0, 3.0, 4.0])]
    columns = plain_columns("m v=1,w=2i 5\nn,x=y a=t 6\nm v=3,w=4i 7", 1, NOW)
    assert sorted(columns) == [
        ("m", {}, "v", [5, 7], [1.0, 3.0]),
        ("m", {}, "w", [5, 7], [2, 4]),
        ("n", {"x": "y"}, "a", [6], [True]),
    ]


def test_a_record_the_worker_finds_out_of_its_window_goes_the_exact_way_and_names_the_line(settings):
    old = NOW - (settings.TELEMETRY_MAX_AGE_SECONDS + 10) * 1_000_000_000
    parser, batch = LineParser(), SeriesBatch()
    parser.into([forwarded_body(1, NOW, f"m v=1 {NOW}\nm v=2 {old}", "ns")], batch)
    assert batch.count == 1
    assert parser.rejects.sensors[1][1] == f"timestamp older than {settings.TELEMETRY_MAX_AGE_SECONDS} s"


def test_one_series_under_two_heads_keeps_line_order_so_the_later_line_wins():
    body = f"m,a=1,b=2 v=1 {NOW}\nm,b=2,a=1 v=2 {NOW}\nm,a=1,b=2 v=3 {NOW}"
    batch = SeriesBatch()
    LineParser().into([forwarded_body(1, NOW, body, "ns")], batch)
    ((_metric, _tags, times, values, _seqs),) = documents(batch)
    assert (times, values) == ([NOW], [3.0])


def test_precision_scales_timestamps_and_lines_without_one_take_the_arrival_time():
    batch = SeriesBatch()
    seconds = NOW // 1_000_000_000
    LineParser().into([forwarded_body(1, NOW, f"m v=1 {seconds}\nn v=2", "s")], batch)
    times = {metric: series_times for metric, _tags, series_times, _values, _seqs in documents(batch)}
    assert times == {"m.v": [seconds * 1_000_000_000], "n.v": [NOW - NOW % 1_000_000_000]}


def test_listener_lines_and_http_bodies_give_the_same_buckets():
    lines = [f"air,room=hall temp={20 + i / 10},co2={600 + i}i {NOW - i}" for i in range(50)]
    from_lines, from_body = SeriesBatch(), SeriesBatch()
    LineParser().into([forwarded_line(1, NOW, False, line) for line in lines], from_lines)
    LineParser().into([forwarded_body(1, NOW, "\n".join(lines), "ns")], from_body)
    assert documents(from_lines) == documents(from_body)
    assert len(documents(from_body)) == 2


def test_a_record_that_is_not_plain_is_parsed_line_by_line_with_its_faults_counted():
    parser, batch = LineParser(), SeriesBatch()
    parser.into([forwarded_body(1, NOW, f'm s="x" {NOW}\nm v=oops {NOW}\nm v=2 {NOW}', "ns")], batch)
    assert batch.count == 2
    assert parser.rejects.count == 1
    assert "value is not a number, boolean or quoted string" in parser.rejects.sensors[1][1]


@st.composite
def listener_records(draw):
    """Forwarded listener lines of a few sensors, plain or not, with and without their own timestamps."""
    records = []
    for number in range(draw(st.integers(1, 10))):
        line = draw(st.one_of(plain_lines(stamp=False), mutated_bodies().map(lambda body: body.decode("latin-1"))))
        if "\n" in line:
            line = line.split("\n")[0]
        if draw(st.booleans()):
            line = f"{line} {NOW - number * 1000}"
        records.append(forwarded_line(draw(st.sampled_from([7, 8])), NOW - draw(st.integers(0, 10**9)), False, line))
    return records


@FUZZ
@given(listener_records())
def test_runs_of_listener_lines_store_what_the_exact_path_stores_line_by_line(records):
    fast, exact = SeriesBatch(), SeriesBatch()
    fast_parser, exact_parser = LineParser(), LineParser()
    fast_parser.into(records, fast)
    exact.add_readings(exact_parser.readings(records))
    assert documents(fast) == documents(exact)
    assert fast_parser.rejects.count == exact_parser.rejects.count


def test_a_run_of_one_sensors_lines_is_one_body_each_line_at_its_own_arrival():
    records = [
        forwarded_line(7, NOW - 5, False, "m v=1"),
        forwarded_line(7, NOW - 3, False, f"m v=2 {NOW - 100}"),
        forwarded_line(7, NOW, False, "m v=3"),
    ]
    batch = SeriesBatch()
    LineParser().into(records, batch)
    assert documents(batch) == [("m.v", [], [NOW - 100, NOW - 5, NOW], [2.0, 1.0, 3.0], [0, 0, 0])]
