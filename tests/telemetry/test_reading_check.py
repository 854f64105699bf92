"""The worker's quick shape check must accept, refuse and canonicalise exactly as the rule-by-rule one."""

from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry.readings import INT64_MAX, MAX_METRIC_CHARS, MAX_TAG_CHARS, MAX_TAGS, ReadingRejected
from telemetry.services.deadletters import reading_check, reading_check_exact

EDGE_INTS = [0, 1, -1, INT64_MAX, INT64_MAX + 1, -INT64_MAX, -INT64_MAX - 1, -INT64_MAX - 2, 2**70]
ints = st.sampled_from(EDGE_INTS) | st.integers()
anything = st.sampled_from([None, True, False, 1.5, "x", [], {}, b"x"])
metrics = st.sampled_from(["", "m", "m" * MAX_METRIC_CHARS, "m" * (MAX_METRIC_CHARS + 1), "a\x00b", "a\u2028b"])
metrics |= st.text(max_size=8)
values = (
    ints
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.text(max_size=4)
    | st.sampled_from(["v" * 1025, None, {"$where": "1"}, [1]])
)
tag_keys = st.sampled_from(["", "k", "$k", "a\x00b", "k" * MAX_TAG_CHARS, "k" * (MAX_TAG_CHARS + 1)])
tag_keys |= st.text(max_size=4)
tag_values = st.sampled_from(["", "v", "v" * MAX_TAG_CHARS, "v" * (MAX_TAG_CHARS + 1), 1, None]) | st.text(max_size=4)
good_tags = st.dictionaries(st.text("abcxyz", min_size=1, max_size=4), st.text(max_size=4), max_size=3)
tags = (
    st.builds(lambda good, key, value: {**good, key: value}, good_tags, tag_keys, tag_values)
    | st.dictionaries(st.integers(), st.just("v"), min_size=1, max_size=2)
    | st.just({f"k{i}": "v" for i in range(MAX_TAGS + 1)})
    | st.just({f"k{i}": "v" for i in range(MAX_TAGS)})
    | anything
)
good_readings = st.tuples(
    st.integers(1, INT64_MAX),
    st.sampled_from(["temperature", "weather.humidity", "m" * MAX_METRIC_CHARS]),
    st.integers(-INT64_MAX, INT64_MAX),
    st.floats(allow_nan=False, allow_infinity=False) | st.integers(-INT64_MAX - 1, INT64_MAX) | st.booleans(),
    st.integers(0, INT64_MAX),
    st.none() | good_tags,
).map(list)
# What each field may be replaced with: edge and wrong values of every kind.
HOSTILE = [ints | anything, metrics | anything, ints | anything, values, ints | anything, tags]


@st.composite
def readings(draw) -> list:
    """A valid reading with none, one or two of its fields replaced by something hostile."""
    reading = draw(good_readings)
    for index in draw(st.sets(st.integers(0, len(HOSTILE) - 1), max_size=2)):
        reading[index] = draw(HOSTILE[index])
    return reading


shapes = readings() | st.lists(st.integers(), max_size=7) | anything


def outcome(check, reading):
    try:
        result = check(reading)
    except ReadingRejected as exc:
        return "refused", str(exc)
    return "stored", result, [type(item) for item in result]


@settings(max_examples=3000, derandomize=True, database=None, deadline=None)
@given(shapes)
def test_the_quick_check_agrees_with_the_rule_by_rule_check(reading):
    assert outcome(reading_check, reading) == outcome(reading_check_exact, reading)


def test_common_readings_are_canonicalised_like_the_rule_by_rule_check():
    for reading in ([5, "temp", 1, 21.5, 0, {}], [5, "temp", 1, 21, 3, {"room": "a"}], [5, "t", 1, True, 0, None]):
        assert outcome(reading_check, reading) == outcome(reading_check_exact, reading)
    assert reading_check([5, "temp", 1, 21.5, 0, {}])[5] is None
