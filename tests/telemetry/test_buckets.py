"""Bucket documents: derived ids, bounds, packed columns, the in-batch rule for repeats, per-minute aggregates."""

import pytest

from telemetry.bucketcodec import chunks_unpack
from telemetry.buckets import (
    BUCKET_SPAN_NS,
    MAX_BUCKET_READINGS,
    SeriesBatch,
    all_numbers,
    batch_id_new,
    minute_aggregates,
    series_digest,
    tags_canonical,
)
from telemetry.readings import ReadingRejected
from telemetry.services.columns import columns_entries, entry_check, readings_entries

HOUR = BUCKET_SPAN_NS
BASE = 1_790_000_000 * 1_000_000_000 // HOUR * HOUR  # on a whole hour
MINUTE = 60 * 1_000_000_000


def documents(readings: list[list], batch_id: str = "b" * 24):
    batch = SeriesBatch()
    batch.add_readings(readings)
    return batch.documents(batch_id)


def test_ids_derive_from_batch_and_sensor_so_the_same_batch_gives_the_same_documents():
    readings = [[1, "t", BASE + i, float(i), 0, {"b": "2", "a": "1"}] for i in range(5)]
    readings += [[2, "t", BASE + 7, 1.0, 0, None]]
    first, again = documents(readings), documents(readings)
    assert first == again
    buckets, series = first
    assert [bucket["_id"] for bucket in buckets] == [f"{'b' * 24}:1:0", f"{'b' * 24}:2:0"]
    digest = series_digest(1, "t", tags_canonical({"a": "1", "b": "2"}))
    assert series[0] == {"_id": digest, "s": 1, "m": "t", "g": {"b": "2", "a": "1"}}
    assert documents(readings, "c" * 24)[0][0]["_id"] != buckets[0]["_id"]
    # Tag order does not make another series.
    assert series_digest(1, "t", tags_canonical({"b": "2", "a": "1"})) == digest


def test_a_bucket_holds_its_sensors_series_as_columns_that_read_back_exactly():
    readings = [[1, "temp", BASE + i, 20.5 + i, 0, {"room": "a"}] for i in range(3)]
    readings += [[1, "count", BASE + i, i, 0, None] for i in range(2)]
    readings += [[1, "state", BASE, "on", 5, None], [1, "state", BASE + 1, True, 0, None]]
    ((bucket,), _) = documents(readings)
    assert (bucket["n"], bucket["n0"], bucket["n1"], bucket["s"], bucket["b"]) == (7, BASE, BASE + 2, 1, "b" * 24)
    assert set(bucket) >= {"sx", "ns", "vd", "vq", "vj", "q"}
    chunks = {chunk.metric: chunk for chunk in chunks_unpack(bucket)}
    assert (chunks["temp"].times, chunks["temp"].values, chunks["temp"].tags) == (
        [BASE, BASE + 1, BASE + 2],
        [20.5, 21.5, 22.5],
        {"room": "a"},
    )
    assert (chunks["count"].values, type(chunks["count"].values[0])) == ([0, 1], int)
    assert (chunks["state"].values, chunks["state"].seqs) == (["on", True], [5, 0])
    assert [chunk.metric for chunk in chunks_unpack(bucket, "count")] == ["count"]


def test_a_bucket_never_spans_an_hour_nor_holds_more_than_its_limit():
    readings = [[1, "t", BASE - 10 + i, 1.0, 0, None] for i in range(20)]
    readings += [[1, "u", BASE + i, 1.0, 0, None] for i in range(MAX_BUCKET_READINGS + 5)]
    buckets, _ = documents(readings)
    # The hour before, then this hour: t's second half, u's first MAX_BUCKET_READINGS, the rest of u.
    assert [bucket["n"] for bucket in buckets] == [10, 10, MAX_BUCKET_READINGS, 5]
    for bucket in buckets:
        assert bucket["n0"] // HOUR == bucket["n1"] // HOUR
        times = [t for chunk in chunks_unpack(bucket) for t in chunk.times]
        assert (min(times), max(times), len(times)) == (bucket["n0"], bucket["n1"], bucket["n"])
    assert len({bucket["_id"] for bucket in buckets}) == 4


def test_readings_come_out_in_time_order_and_a_repeat_within_the_batch_keeps_the_later_value():
    readings = [
        [1, "t", BASE + 30, 3.0, 0, None],
        [1, "t", BASE + 10, 1.0, 0, None],
        [1, "t", BASE + 30, 4.0, 0, None],
        [1, "t", BASE + 30, 5.0, 2, None],
    ]
    ((bucket,), _) = documents(readings)
    (chunk,) = chunks_unpack(bucket)
    assert (chunk.times, chunk.values, chunk.seqs) == ([BASE + 10, BASE + 30, BASE + 30], [1.0, 4.0, 5.0], [0, 0, 2])


def test_seqs_and_unused_value_columns_are_left_out():
    ((bucket,), _) = documents([[1, "t", BASE, 1.0, 0, None]])
    assert not {"q", "vq", "vj"} & set(bucket)


def test_minute_aggregates_count_everything_but_aggregate_numbers_only():
    times = [BASE, BASE + 1, BASE + 2, BASE + MINUTE, BASE + MINUTE + 5]
    values = [2, 7.5, True, "text", 1]
    assert minute_aggregates(times, values) == [
        [BASE // 10**9, 3, 2, 2, 7.5, 9.5, BASE + 1, 7.5],
        [BASE // 10**9 + 60, 2, 1, 1, 1, 1, BASE + MINUTE + 5, 1],
    ]
    assert minute_aggregates([BASE], ["on"]) == [[BASE // 10**9, 1, 0, None, None, None, None, None]]


def test_a_sum_beyond_int64_becomes_a_float_as_bson_cannot_hold_it():
    big = 2**62
    (entry,) = minute_aggregates([BASE, BASE + 1, BASE + 2], [big, big, big])
    assert entry[5] == pytest.approx(3.0 * big)
    assert isinstance(entry[5], float)


def test_batch_ids_sort_by_time():
    assert batch_id_new(1) < batch_id_new(2) < batch_id_new(10**18)
    assert len(batch_id_new()) == 24


def test_columns_share_a_heads_times_sent_as_differences_and_come_back_whole():
    times = [BASE + 5, BASE + 1005, BASE + 2005, BASE + 7]
    series = [("env.temp", {"host": "a"}, times, [1.0, 2.0, 3.0, 4.0]), ("env.hum", {"host": "a"}, times, [1, 2, 3, 4])]
    (entry,) = columns_entries(3, series)
    assert entry == [
        3,
        {"host": "a"},
        [BASE + 5, 1000, 1000, -1998],
        [["env.temp", [1.0, 2.0, 3.0, 4.0]], ["env.hum", [1, 2, 3, 4]]],
    ]
    assert entry_check(entry) == (
        3,
        {"host": "a"},
        times,
        [("env.temp", [1.0, 2.0, 3.0, 4.0]), ("env.hum", [1, 2, 3, 4])],
        None,
    )


def test_readings_travel_as_an_entry_per_series_with_their_seqs_when_any():
    readings = [[3, "t", BASE + 2, 1.0, 0, {"b": "2", "a": "1"}], [3, "t", BASE + 1, 2.0, 5, {"a": "1", "b": "2"}]]
    readings.append([3, "u", BASE, True, 0, None])
    first, second = readings_entries(readings)
    assert first == [3, {"b": "2", "a": "1"}, [BASE + 2, -1], [["t", [1.0, 2.0]]], [0, 5]]
    assert second == [3, None, [BASE], [["u", [True]]]]
    assert entry_check(first)[4] == [0, 5]


@pytest.mark.parametrize(
    "entry",
    [
        [3, None, [BASE], [["m", [1.0, 2.0]]]],  # a value too many
        [3, None, [], [["m", []]]],
        [3, None, [BASE, "1"], [["m", [1.0, 2.0]]]],
        [3, None, [2**63 - 1, 1], [["m", [1.0, 2.0]]]],  # past int64 once added up
        [3, None, [BASE], [["m", [float("inf")]]]],
        [3, None, [BASE], [["m", [2**64]]]],
        [3, {"$x": "y"}, [BASE], [["m", [1.0]]]],
        [True, None, [BASE], [["m", [1.0]]]],
        [3, None, [BASE], [["", [1.0]]]],
        [3, None, [BASE], []],
        [3, None, [BASE], [["m", [1.0], "extra"]]],
        [3, None, [BASE], [["m", [{"$where": 1}]]]],
        [3, None, [BASE], [["m", [1.0]]], [-1]],
        [3, None, [BASE], [["m", [1.0]]], [1, 2]],
        "garbage",
    ],
)
def test_a_malformed_entry_is_refused_with_a_reason(entry):
    with pytest.raises(ReadingRejected):
        entry_check(entry)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1.0, 2, -3.5], True), ([1.0, True], False), ([False], False), ([1, "2"], False), ([None], False), ([], True)],
)
def test_all_numbers_counts_ints_and_floats_but_not_bools(values, expected):
    assert all_numbers(values) is expected
