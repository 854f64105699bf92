"""The worker's side of the socket listener: forwarded lines are parsed, judged at arrival, and refusals counted."""

import logging
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import READINGS_SERIALIZER
from telemetry import tasks
from telemetry.services.enqueue import lines_enqueue
from telemetry.services.lines import MAX_SEEN_ENTRIES, MAX_SEEN_LINE_BYTES, LineParser, forwarded_line
from telemetry.services.rejects import MAX_REASONS_LOGGED, UNKNOWN_SENSOR, RejectTally, rejects_since
from tests.telemetry import held, ingest_support
from tests.waiting import wait_until

owner = pytest.fixture(ingest_support.owner)
sensor = pytest.fixture(ingest_support.sensor)

SECOND = 1_000_000_000


def test_a_line_becomes_one_reading_per_field_at_its_own_time_or_its_arrival():
    arrived = time.time_ns()
    parser = LineParser()
    readings = parser.readings(
        [
            forwarded_line(7, arrived, False, f"air,room=hall temp=21.5,co2=600i {arrived - SECOND}"),
            forwarded_line(8, arrived, False, "door open=true"),
        ]
    )
    assert readings == [
        [7, "air.temp", arrived - SECOND, 21.5, 0, {"room": "hall"}],
        [7, "air.co2", arrived - SECOND, 600, 0, {"room": "hall"}],
        [8, "door.open", arrived, True, 0, None],
    ]
    assert not parser.rejects


def test_a_line_is_judged_as_at_its_arrival_not_when_a_worker_gets_to_it(settings):
    # Held an hour on the broker: a time 400 s after its arrival was "in the future" when it came.
    arrived = time.time_ns() - 3600 * SECOND
    ahead = arrived + (settings.TELEMETRY_MAX_FUTURE_SECONDS + 100) * SECOND
    parser = LineParser()
    assert parser.readings([forwarded_line(7, arrived, False, f"t value=1 {ahead}")]) == []
    reason = f"timestamp more than {settings.TELEMETRY_MAX_FUTURE_SECONDS} s in the future"
    assert parser.rejects.sensors[7][1] == reason


def test_bad_lines_are_counted_against_their_sensor_with_the_parsers_reason():
    arrived = time.time_ns()
    parser = LineParser()
    lines = [
        forwarded_line(7, arrived, False, "t value=1 1 2"),
        forwarded_line(7, arrived, False, "t\x00 value=1"),
        forwarded_line(7, arrived, True, "signed value=1"),
        forwarded_line(9, arrived, False, "fine value=2"),
        forwarded_line(9, arrived, False, ""),
    ]
    readings = parser.readings(lines)
    assert [reading[1] for reading in readings] == ["fine"]
    assert parser.rejects.count == 4
    count, latest, reasons = parser.rejects.sensors[7]
    assert count == 3
    assert latest == "hmac-signed lines must carry a timestamp"
    assert "control character at column 2" in reasons
    assert parser.rejects.sensors[9][:2] == [1, "blank or comment line: no point"]


@pytest.mark.parametrize(
    "item",
    [
        "t value=1",
        [7, time.time_ns(), False],
        [7, time.time_ns(), False, "t value=1", "extra"],
        [True, time.time_ns(), False, "t value=1"],
        [0, time.time_ns(), False, "t value=1"],
        [-3, time.time_ns(), False, "t value=1"],
        [7, str(time.time_ns()), False, "t value=1"],
        [7, 0, False, "t value=1"],
        [7, 2**64, False, "t value=1"],
        [7, time.time_ns(), 1, "t value=1"],
        [7, time.time_ns(), False, b"t value=1"],
        [7, time.time_ns(), False, None],
    ],
)
def test_a_malformed_record_costs_itself_only_counted_under_the_unknown_sensor(item):
    arrived = time.time_ns()
    parser = LineParser()
    readings = parser.readings([item, forwarded_line(7, arrived, False, "ok value=1")])
    assert readings == [[7, "ok", arrived, 1.0, 0, None]]
    assert parser.rejects.sensors == {UNKNOWN_SENSOR: [1, "malformed forwarded line", {"malformed forwarded line": 1}]}


@pytest.mark.parametrize("batch", [None, {"lines": []}, "t value=1", 42])
def test_a_batch_that_is_not_a_list_is_refused_whole(batch):
    parser = LineParser()
    assert parser.readings(batch) == []
    assert parser.rejects.sensors[UNKNOWN_SENSOR][:2] == [1, "malformed batch of forwarded lines"]


def test_made_up_series_names_keep_the_parse_cache_bounded():
    arrived = time.time_ns()
    count = MAX_SEEN_ENTRIES + 300
    lines = [forwarded_line(7, arrived, False, f"made_up_{i},n={i} value={i}i {arrived - i}") for i in range(count)]
    # Long lines are parsed without the cache, so they cannot fill it with big keys at all.
    tags = ",".join(f"{name}={name * 250}" for name in "abcde")  # each tag within the 256-character rule
    padded = f"long,{tags} value=1i {arrived}"
    assert len(padded) > MAX_SEEN_LINE_BYTES
    parser = LineParser()
    readings = parser.readings([*lines, forwarded_line(7, arrived, False, padded)])
    assert len(readings) == count + 1
    assert 0 < len(parser.cache) <= MAX_SEEN_ENTRIES
    assert not any(len(key) > MAX_SEEN_LINE_BYTES for key in parser.cache)


def test_a_tally_keeps_a_bounded_number_of_distinct_reasons_but_counts_every_line():
    tally = RejectTally()
    for number in range(MAX_REASONS_LOGGED + 10):
        tally.add(3, f"reason {number}")
    tally.add(3, "reason 0")
    count, latest, reasons = tally.sensors[3]
    assert (count, latest, tally.count) == (MAX_REASONS_LOGGED + 11, "reason 0", MAX_REASONS_LOGGED + 11)
    assert len(reasons) == MAX_REASONS_LOGGED
    assert reasons["reason 0"] == 2


def test_the_lines_task_publishes_with_the_readings_serializer():
    assert tasks.store_lines.serializer == READINGS_SERIALIZER


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_worker_stores_the_good_lines_and_reports_the_bad_once(sensor, celery_worker_thread, mongo_db, caplog):
    sensor, token = sensor
    caplog.set_level(logging.WARNING, logger="telemetry.listener")
    arrived = time.time_ns()
    good = [forwarded_line(sensor.pk, arrived, False, f"tank level={i} {arrived - i}") for i in range(5)]
    bad = [forwarded_line(sensor.pk, arrived, False, "tank level=NaN"), forwarded_line(sensor.pk, arrived, False, "x")]
    tasks.store_lines.apply_async(args=[[*good, *bad]])
    wait_until(lambda: held.count(mongo_db, sensor.pk) == 5, timeout=30)
    wait_until(lambda: sensor.pk in rejects_since(timezone.now() - timedelta(hours=1)), timeout=10)
    assert rejects_since(timezone.now() - timedelta(hours=1))[sensor.pk]["count"] == 2
    assert f"rejected 2 line(s) from sensor {sensor.pk}" in caplog.text
    # Forwarded lines never carry the credential they came with.
    assert token not in caplog.text


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_listener_publishes_one_task_per_listener_batch_not_per_task_batch(
    sensor, celery_worker_thread, mongo_db, settings
):
    sensor, _ = sensor
    settings.TELEMETRY_TASK_BATCH = 100
    settings.TELEMETRY_LISTENER_BATCH = 250
    arrived = time.time_ns()
    lines = [forwarded_line(sensor.pk, arrived, False, f"tank level={i} {arrived - i}") for i in range(600)]
    assert lines_enqueue(lines) == 3  # 250 + 250 + 100, where TELEMETRY_TASK_BATCH alone would make 6
    wait_until(lambda: held.count(mongo_db, sensor.pk) == 600, timeout=30)
