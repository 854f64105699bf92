"""The series API's numpy windows agree with the list path on the same buckets, and step aside where they must."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry.buckets import INT64_MAX, SeriesBatch, batch_id_new
from telemetry.selectors.densewindows import numeric_windows
from telemetry.selectors.series import _listed_windows

BASE = 1_765_000_000 * 10**9
STEP = 10 * 10**9
SENSOR = 7
floats = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
integers = st.one_of(st.integers(-(10**6), 10**6), st.integers(-(2**63), 2**63 - 1))


def _buckets(series: list[tuple[dict, list[int], list]], batches: int) -> list[dict]:
    """Bucket documents as the worker writes them: each series' readings cut into `batches` consecutive batches."""
    buckets = []
    for part in range(batches):
        batch = SeriesBatch()
        for tags, times, values in series:
            cut = slice(part * len(times) // batches, (part + 1) * len(times) // batches)
            if times[cut]:
                batch.series_for(SENSOR, "m", tags).extend(times[cut], values[cut])
                batch.series_for(SENSOR, "other", tags).extend(times[cut], [1.5] * len(times[cut]))
        buckets += batch.documents(batch_id_new())[0]
    return buckets


def _assert_same(dense: dict, listed: dict) -> None:
    assert dense.keys() == listed.keys()
    for window, (count, low, high, total, at, last) in dense.items():
        expected = listed[window]
        assert [count, low, high, at, last] == [expected[0], expected[1], expected[2], expected[4], expected[5]]
        assert [type(value) for value in (low, high, last)] == [type(expected[i]) for i in (1, 2, 5)]
        # Floats are summed pairwise by numpy and with compensation by Python: equal up to rounding.
        assert (
            total == expected[3] if type(total) is int else math.isclose(total, expected[3], rel_tol=1e-9, abs_tol=1e-3)
        )


@settings(max_examples=200, deadline=None)
@given(data=st.data(), batches=st.integers(1, 3), span=st.integers(10**9, 10**13))
def test_numpy_windows_equal_the_list_path(data, batches, span):
    series = []
    for tags in ({"site": "a"}, {"site": "b"})[: data.draw(st.integers(1, 2))]:
        offsets = data.draw(st.lists(st.integers(0, span), min_size=1, max_size=200, unique=True))
        values = data.draw(
            st.lists(data.draw(st.sampled_from([floats, integers])), min_size=len(offsets), max_size=len(offsets))
        )
        series.append((tags, [BASE + offset for offset in sorted(offsets)], values))
    buckets = _buckets(series, batches)
    start = BASE + data.draw(st.integers(0, span))
    end = start + data.draw(st.integers(1, span))
    dense = numeric_windows(buckets, "m", start, end, STEP)
    listed = _listed_windows(buckets, "m", start, end, STEP)
    big_integers = any(type(value) is int and abs(value) > 10**6 for _, _, values in series for value in values)
    if dense is None:
        assert big_integers, "only a possible int64 overflow sends these readings down the list path"
    else:
        _assert_same(dense, listed)


def test_a_sum_that_could_pass_int64_goes_down_the_list_path():
    buckets = _buckets([({}, [BASE, BASE + 1], [INT64_MAX, 1])], 1)
    assert numeric_windows(buckets, "m", BASE, BASE + STEP, STEP) is None
    assert _listed_windows(buckets, "m", BASE, BASE + STEP, STEP)[BASE - BASE % STEP][3] == float(INT64_MAX + 1)


def test_a_reading_sent_again_in_a_later_batch_goes_down_the_list_path_and_shows_once():
    first = _buckets([({}, [BASE, BASE + 10**9], [1.0, 2.0])], 1)
    again = _buckets([({}, [BASE + 10**9], [5.0])], 1)
    assert numeric_windows(first + again, "m", BASE, BASE + STEP, STEP) is None
    assert _listed_windows(first + again, "m", BASE, BASE + STEP, STEP)[BASE - BASE % STEP][:4] == [2, 1.0, 5.0, 6.0]


def test_text_readings_and_a_series_that_changed_kind_go_down_the_list_path():
    text = _buckets([({}, [BASE, BASE + 1], ["on", 3.0])], 1)
    assert numeric_windows(text, "m", BASE, BASE + STEP, STEP) is None
    assert _listed_windows(text, "m", BASE, BASE + STEP, STEP)[BASE - BASE % STEP][:4] == [1, 3.0, 3.0, 3.0]
    changed = _buckets([({}, [BASE], [1.0])], 1) + _buckets([({}, [BASE + 1], [2])], 1)
    assert numeric_windows(changed, "m", BASE, BASE + STEP, STEP) is None


def test_windows_of_an_hour_of_dense_readings():
    times = [BASE + i * 10**8 for i in range(36_000)]
    buckets = _buckets([({}, times, [float(i % 100) for i in range(36_000)])], 6)
    windows = numeric_windows(buckets, "m", BASE, BASE + 3600 * 10**9, STEP)
    assert len(windows) == 360
    assert {tuple(window[:3]) for window in windows.values()} == {(100, 0.0, 99.0)}
    assert windows[BASE][3:] == [4950.0, BASE + 99 * 10**8, 99.0]
