"""The series API's windows: the dense path (C functions mapped over every step) agrees with the per-run one."""

from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry.buckets import INT64_MAX, bson_sums
from telemetry.selectors.series import _sparse_windows, _windows

STEP = 10 * 10**9
numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**63), 2**63 - 1))


@settings(max_examples=300, deadline=None)
@given(
    offsets=st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=300, unique=True),
    data=st.data(),
)
def test_dense_windows_equal_the_window_by_window_ones(offsets, data):
    times = sorted(1_765_000_000 * 10**9 + offset for offset in offsets)
    values = data.draw(st.lists(numbers, min_size=len(times), max_size=len(times)))
    dense, sparse = {}, {}
    _windows(times, values, STEP, dense)
    _sparse_windows(times, values, STEP, sparse)
    assert dense == sparse
    assert sum(window[0] for window in dense.values()) == len(times)


def test_a_second_series_in_the_same_windows_is_combined_not_replaced():
    base = 1_765_000_000 * 10**9
    into = {}
    _windows([base, base + 10**9], [1.0, 5.0], STEP, into)
    _windows([base + 2 * 10**9], [-3.0], STEP, into)
    assert into == {base - base % STEP: [3, -3.0, 5.0, 3.0, base + 2 * 10**9, -3.0]}


def test_ten_readings_a_second_make_ten_second_windows_of_a_hundred():
    base = 1_765_000_000 * 10**9
    dense_times = [base + i * 10**8 for i in range(1000)]
    into = {}
    _windows(dense_times, [float(i) for i in range(1000)], STEP, into)
    assert len(into) == 10
    assert {window[0] for window in into.values()} == {100}
    assert into[dense_times[0] - dense_times[0] % STEP][:4] == [100, 0.0, 99.0, 4950.0]


def test_window_sums_beyond_int64_become_floats_as_bson_needs_and_float_sums_stay_exact():
    assert bson_sums([[INT64_MAX, 1], [1, 2], [0.5, 0.25]]) == [float(INT64_MAX + 1), 3, 0.75]
    assert [type(total) for total in bson_sums([[INT64_MAX, 1], [1, 2]])] == [float, int]
    assert bson_sums([[0.1, 0.2, 0.3]]) == [sum([0.1, 0.2, 0.3])]
