"""parse_lines caches each head's series and field keys per body: the cache must never change a result."""

from hypothesis import given
from hypothesis import strategies as st

from telemetry.lineprotocol import LineError, LineProtocolError, parse_line, parse_lines
from tests.telemetry.test_lineprotocol_fuzz import FUZZ


def _one_by_one(body: bytes) -> tuple[list, list]:
    """What parse_lines must say: parse_line on each line, blank and comment lines skipped."""
    points, errors = [], []
    for number, line in enumerate(body.split(b"\n"), 1):
        try:
            points.append(parse_line(line))
        except LineProtocolError as exc:
            if str(exc) != "blank or comment line: no point":
                errors.append(LineError(number, str(exc)))
    return points, errors


def _assert_same_as_one_by_one(body: bytes) -> None:
    points, errors = parse_lines(body)
    expected_points, expected_errors = _one_by_one(body)
    assert points == expected_points
    assert errors == expected_errors
    for point, expected in zip(points, expected_points, strict=True):
        assert [type(v) for v in point.fields.values()] == [type(v) for v in expected.fields.values()]


def test_lines_of_one_series_give_equal_but_independent_points():
    line = b"cpu,cpu=cpu0,host=a usage_user=12.5,usage_idle=83.1 1700000000000000000"
    first, second, third = parse_lines(b"\n".join([line] * 3))[0]
    assert first == second == third == parse_line(line)
    assert first.tags is not second.tags
    assert second.tags is not third.tags
    assert first.fields is not second.fields
    first.tags["host"] = "changed"
    second.tags.clear()
    assert third.tags == {"cpu": "cpu0", "host": "a"}
    assert parse_lines(line)[0][0].tags == {"cpu": "cpu0", "host": "a"}


def test_each_line_of_a_cached_series_keeps_its_own_error_and_number():
    body = b"\n".join(
        [
            b"cpu,host=a v=1,w=2i",
            b"cpu,host=a v=1,w=2i",  # the series' field keys are learnt here
            b"cpu,host=a v=oops,w=2i",
            b"cpu,host=a v=1,v=2i",
            b"cpu,host=a v=1=2,w",
            b"cpu,host=a v=1,x=2i",
            b"cpu,host=a v=nan,w=2i",
            b"cpu,host=a v=3,w=4i",
        ]
    )
    points, errors = parse_lines(body)
    assert [p.fields for p in points] == [
        {"v": 1.0, "w": 2},
        {"v": 1.0, "w": 2},
        {"v": 1.0, "x": 2},
        {"v": 3.0, "w": 4},
    ]
    assert errors == [
        LineError(3, "field 'v': value is not a number, boolean or quoted string"),
        LineError(4, "duplicate field 'v'"),
        LineError(5, "malformed field 'v=1=2'"),
        LineError(7, "field 'v': NaN and infinity are refused"),
    ]
    _assert_same_as_one_by_one(body)


def test_learnt_field_keys_never_accept_a_line_that_only_looks_alike():
    # Keys ("a", "2") learnt, then lines with an item short of its key or its "=", or with two "=".
    _assert_same_as_one_by_one(b"m a=1,2=3\nm a=1,2=3\nm a=1,3\nm 1,2=3\nm a=1=2,2\nm a=1,2=\nm a=,2=3\nm a=1,2==3")


def test_escaped_and_quoted_lines_share_the_cache_safely():
    _assert_same_as_one_by_one(
        b"\n".join(
            [
                b"p,host=a,name=nginx\\ worker cpu=1.5,rss=5i",
                b"p,host=a,name=nginx\\ worker cpu=1.5,rss=5i",
                b'p,host=a,name=nginx\\ worker s="x y",rss=5i',
                b"p,host=a,name=nginx\\ worker cpu=2.5,rss=6i",
                b"p,host=a,name=nginx\\,worker cpu\\ x=1.5",
                b'p,host=a s="1,2=3",t="x"',
                b'p,host=a s="1,2=3",t="x"',
                b"p,host=a s=1,t=2",
            ]
        )
    )


heads = st.sampled_from(
    ["m", "m,t=a", "cpu,cpu=cpu0,host=h", "m,t=a\\ b", "m,t=a,t=b", "m,t=", "#m", "m,t=a\\,b=c", "K\u00fcche,r=x"]
)
field_texts = st.sampled_from(
    ["v=1.5,w=2.5", "v=1i,w=2u", "v=1.5,ok=true", 'v=1,s="a b"', "v=1,w=2", "v=1,2", "1,w=2", "v=1,w==2"]
) | st.text(alphabet=st.sampled_from(list('ab=,.-19iuetTf"\\ ')), min_size=1, max_size=16)
timestamps = st.sampled_from(["", " 1700000000000000000", " 17", " -5", " x"])


@st.composite
def bodies(draw) -> bytes:
    """Lines of a few series each, so that heads and field keys repeat as in a Telegraf batch."""
    series = draw(st.lists(heads, min_size=1, max_size=3))
    count = draw(st.integers(1, 12))
    lines = [f"{draw(st.sampled_from(series))} {draw(field_texts)}{draw(timestamps)}" for _ in range(count)]
    return "\n".join(lines).encode()


@FUZZ
@given(bodies())
def test_a_body_of_repeated_heads_parses_like_each_line_alone(body):
    _assert_same_as_one_by_one(body)


def _one_by_one_with_a_kept_cache(body: bytes, seen: dict) -> tuple[list, list]:
    """As the listener parses: parse_line on each line, one `seen` cache kept across them all."""
    points, errors = [], []
    for number, line in enumerate(body.split(b"\n"), 1):
        try:
            points.append(parse_line(line, seen=seen))
        except LineProtocolError as exc:
            if str(exc) != "blank or comment line: no point":
                errors.append(LineError(number, str(exc)))
    return points, errors


@FUZZ
@given(st.lists(bodies(), min_size=1, max_size=3))
def test_a_cache_kept_across_lines_and_bodies_never_changes_a_result(bodies_in_turn):
    seen = {}
    for body in bodies_in_turn:
        points, errors = _one_by_one_with_a_kept_cache(body, seen)
        expected_points, expected_errors = _one_by_one(body)
        assert points == expected_points
        assert errors == expected_errors
        for point, expected in zip(points, expected_points, strict=True):
            assert [type(v) for v in point.fields.values()] == [type(v) for v in expected.fields.values()]


def test_points_parsed_with_a_kept_cache_do_not_share_tags():
    seen = {}
    line = b"cpu,host=a usage=1.5"
    first, second = parse_line(line, seen=seen), parse_line(line, seen=seen)
    second.tags["host"] = "changed"
    assert parse_line(line, seen=seen).tags == first.tags == {"host": "a"}
