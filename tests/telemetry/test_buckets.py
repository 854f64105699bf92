"""Bucket documents: derived ids, bounds, the in-batch rule for repeats, and per-minute aggregates."""

import pytest

from telemetry.buckets import (
    BUCKET_SPAN_NS,
    MAX_BUCKET_READINGS,
    SeriesBatch,
    batch_id_new,
    minute_aggregates,
    series_digest,
    tags_canonical,
)

HOUR = BUCKET_SPAN_NS
BASE = 1_790_000_000 * 1_000_000_000 // HOUR * HOUR  # on a whole hour
MINUTE = 60 * 1_000_000_000


def documents(readings: list[list], batch_id: str = "b" * 24):
    batch = SeriesBatch()
    batch.add_readings(readings)
    return batch.documents(batch_id)


def test_ids_derive_from_batch_and_series_so_the_same_batch_gives_the_same_documents():
    readings = [[1, "t", BASE + i, float(i), 0, {"b": "2", "a": "1"}] for i in range(5)]
    first, again = documents(readings), documents(readings)
    assert first == again
    (bucket,), (summary,), (series,) = first
    digest = series_digest(1, "t", tags_canonical({"a": "1", "b": "2"}))
    assert bucket["_id"] == summary["_id"] == f"{'b' * 24}:{digest}:0"
    assert series == {"_id": digest, "s": 1, "m": "t", "g": {"b": "2", "a": "1"}}
    assert documents(readings, "c" * 24)[0][0]["_id"] != bucket["_id"]
    # Tag order does not make another series.
    assert series_digest(1, "t", tags_canonical({"b": "2", "a": "1"})) == digest


def test_buckets_hold_at_most_a_thousand_readings_and_never_cross_an_hour():
    readings = [[1, "t", BASE - 10 + i, 1.0, 0, None] for i in range(2500)]
    buckets, summaries, _ = documents(readings)
    assert [bucket["n"] for bucket in buckets] == [10, MAX_BUCKET_READINGS, MAX_BUCKET_READINGS, 490]
    for bucket in buckets:
        assert bucket["ns"][0] // HOUR == bucket["ns"][-1] // HOUR
        assert bucket["ns"] == sorted(bucket["ns"])
    assert [summary["n0"] for summary in summaries] == [bucket["ns"][0] for bucket in buckets]
    assert [summary["n1"] for summary in summaries] == [bucket["ns"][-1] for bucket in buckets]


def test_readings_come_out_in_time_order_and_a_repeat_within_the_batch_keeps_the_later_value():
    readings = [
        [1, "t", BASE + 30, 3.0, 0, None],
        [1, "t", BASE + 10, 1.0, 0, None],
        [1, "t", BASE + 30, 4.0, 0, None],
        [1, "t", BASE + 30, 5.0, 2, None],
    ]
    (bucket,), _, _ = documents(readings)
    assert (bucket["ns"], bucket["v"], bucket["q"]) == ([BASE + 10, BASE + 30, BASE + 30], [1.0, 4.0, 5.0], [0, 0, 2])


def test_seqs_are_left_out_when_all_are_zero():
    (bucket,), _, _ = documents([[1, "t", BASE, 1.0, 0, None]])
    assert "q" not in bucket
    assert "g" not in bucket


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
