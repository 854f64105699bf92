"""CSV export: the range and metric asked for, streamed, formula-injection safe, bounded, bad input a 400."""

import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from telemetry.csvexport import HEADER, csv_cell, csv_lines
from telemetry.services.sensors import sensor_create
from telemetry.services.writer import readings_store

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("plain", "plain"),
        (-3.5, "-3.5"),
        (42, "42"),
        (True, "true"),
        (None, ""),
        ({"room": "=x"}, '{"room": "=x"}'),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05+00:00"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_defused(value, cell):
    assert csv_cell(value) == cell


def test_lines_stop_at_the_limit_and_say_so():
    rows = ({"t": datetime.now(UTC), "metric": "m", "value": i, "tags": {}} for i in range(10))
    parsed = list(csv.reader(io.StringIO("".join(csv_lines(rows, {}, limit=3)))))
    assert parsed[0] == HEADER
    assert [row[2] for row in parsed[1:4]] == ["0", "1", "2"]
    assert parsed[4][0].startswith("# truncated after 3")
    assert len(parsed) == 5


def test_units_metrics_and_tags_are_defused_too_and_each_series_tags_written_as_json():
    shared = {"site": "=HYPERLINK(1)"}
    rows = [{"t": datetime.now(UTC), "metric": "@m", "value": i, "tags": shared} for i in range(1500)]
    rows.append({"t": datetime.now(UTC), "metric": "@m", "value": 9, "tags": {"site": "b"}})
    parsed = list(csv.reader(io.StringIO("".join(csv_lines(iter(rows), {"@m": "-W"})))))
    assert parsed[1][1:] == ["'@m", "0", "'-W", '{"site": "=HYPERLINK(1)"}']
    assert parsed[1500][4] == '{"site": "=HYPERLINK(1)"}'
    assert parsed[1501][4] == '{"site": "b"}'
    assert len(parsed) == 1502


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(
        email="csv@example.test", password="x" * 16, email_verified_at=timezone.now()
    )


@pytest.fixture
def sensor(owner):
    return sensor_create(owner=owner, name="meter", units={"power": "W"})[0]


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def export(client, sensor, **params):
    return client.get(reverse("telemetry:sensor-export", kwargs={"sensor_id": sensor.pk}), params)


def window(**params) -> dict:
    now = timezone.now()
    return {
        "start": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
    } | params


def read_csv(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_export_streams_the_range_with_units_and_metric_filter(signed_in, sensor, mongo_db):
    now = time.time_ns()
    old = now - 3 * 3600 * 10**9
    readings_store(
        [
            [sensor.pk, "power", now - 2 * 10**9, 100.5, 0, None],
            [sensor.pk, "power", now - 1 * 10**9, -7, 0, {"phase": "=1+1"}],
            [sensor.pk, "state", now - 1 * 10**9, "=cmd|' /C calc'!A0", 0, None],
            [sensor.pk, "power", old, 1.0, 0, None],
        ]
    )
    response = export(signed_in, sensor, **window())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="meter-' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == HEADER
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        ("power", "100.5", "W"),
        ("power", "-7", "W"),
        ("state", "'=cmd|' /C calc'!A0", ""),
    ]
    assert rows[2][4] == '{"phase": "=1+1"}'
    only_power = read_csv(export(signed_in, sensor, **window(metric="power")))
    assert {r[1] for r in only_power[1:]} == {"power"}
    assert len(only_power) == 3


def test_export_of_another_owners_sensor_is_404(client, django_user_model, sensor, mongo_db):
    other = django_user_model.objects.create_user(email="nosy@example.test", password="x" * 16)
    client.force_login(other)
    assert export(client, sensor, **window()).status_code == 404


def test_export_form_without_parameters_is_shown(signed_in, sensor):
    response = export(signed_in, sensor)
    assert response.status_code == 200
    assert not response.streaming


@pytest.mark.parametrize(
    "bad",
    [
        {"start": "yesterday"},
        {"end": "2026-13-45T99:99"},
        {"start": "2026-01-10T00:00", "end": "2026-01-01T00:00"},
        {"start": "2026-01-01T00:00", "end": "2026-03-01T00:00"},
        {"metric": "m" * 201},
        {"metric": "bad\x00metric"},
        {"metric": "esc\x1b[31m"},
        {"start": "9" * 5000},
    ],
)
def test_bad_export_parameters_are_a_form_error(signed_in, sensor, bad):
    response = export(signed_in, sensor, **window(**bad))
    assert response.status_code == 400
    assert not response.streaming
    assert response.context["form"].errors
