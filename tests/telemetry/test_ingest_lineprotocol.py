"""POST /api/v2/write and /write: line protocol, precisions, per-line acceptance, limits, hostile lines."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from telemetry.services.rejects import rejects_since
from tests.telemetry import ingest_support
from tests.telemetry.ingest_support import lines

pytestmark = pytest.mark.django_db

V2 = ingest_support.V2

broker_queue = pytest.fixture(ingest_support.broker_queue)
owner = pytest.fixture(ingest_support.owner)
sensor = pytest.fixture(ingest_support.sensor)

write = pytest.fixture(ingest_support.write)


def test_points_become_readings_one_per_field(write, sensor, broker_queue):
    sensor, _token = sensor
    now = time.time_ns()
    body = f'weather,site=roof temp=21.5,hum=40i,ok=true,note="fine" {now}\ntemperature value=3 {now}\n'.encode()
    response = write(body)
    assert response.status_code == 204, response.content
    readings = sorted(broker_queue(), key=lambda r: r[1])
    assert readings == [
        [sensor.pk, "temperature", now, 3.0, 0, None],
        [sensor.pk, "weather.hum", now, 40, 0, {"site": "roof"}],
        [sensor.pk, "weather.note", now, "fine", 0, {"site": "roof"}],
        [sensor.pk, "weather.ok", now, True, 0, {"site": "roof"}],
        [sensor.pk, "weather.temp", now, 21.5, 0, {"site": "roof"}],
    ]


@pytest.mark.parametrize(
    ("url", "divisor"),
    [
        (V2 + "&precision=ns", 1),
        (V2 + "&precision=us", 1_000),
        (V2 + "&precision=ms", 1_000_000),
        (V2 + "&precision=s", 10**9),
        ("/write?db=x&precision=n", 1),
        ("/write?db=x&precision=u", 1_000),
        ("/write?db=x&precision=ms", 1_000_000),
        ("/write?db=x&precision=s", 10**9),
        ("/write?db=x&precision=m", 60 * 10**9),
        ("/write?db=x&precision=h", 3600 * 10**9),
        ("/write?db=x", 1),
    ],
)
def test_precisions_scale_timestamps_to_nanoseconds(write, url, divisor, broker_queue):
    stamp = time.time_ns() // divisor
    assert write(f"t value=1 {stamp}".encode(), url=url).status_code == 204
    assert broker_queue()[0][2] == stamp * divisor


@pytest.mark.parametrize("url", [V2 + "&precision=h", V2 + "&precision=n", "/write?db=x&precision=xs"])
def test_an_unknown_precision_is_400(write, url, broker_queue):
    response = write(lines(1), url=url)
    assert response.status_code == 400
    assert broker_queue() == []


def test_good_lines_are_queued_and_each_bad_line_named_and_counted(write, sensor, broker_queue, mongo_db):
    sensor, _token = sensor
    now = time.time_ns()
    future = now + 3600 * 10**9
    body = "\n".join(
        [
            f"t value=1 {now}",
            "t value=",  # syntax
            f"t value=2 {now - 1}",
            f"t value=3 {future}",  # too far ahead: refused after parsing
            "# a comment",
            "",
            f"t value=4,v2=nan {now - 2}",  # NaN is not a number here
            f"t value=5 {now - 3}",
        ]
    ).encode()
    response = write(body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid"
    assert answer["message"].startswith("3 lines rejected: line 2: ")
    assert "; line 4: timestamp more than" in answer["message"]
    assert "; line 7: " in answer["message"]
    assert sorted(r[3] for r in broker_queue()) == [1.0, 2.0, 5.0]
    assert rejects_since(datetime.now(UTC) - timedelta(hours=1))[sensor.pk]["count"] == 3


def test_v1_errors_use_influx_1_shape(write, broker_queue):
    response = write(b"t value=1\nbroken", url="/write?db=x")
    assert response.status_code == 400
    assert list(response.json()) == ["error"]
    assert response.json()["error"].startswith("1 lines rejected: line 2: ")
    assert len(broker_queue()) == 1


def test_the_error_message_is_bounded(write, broker_queue):
    body = b"\n".join([b"bad line " + str(i).encode() * 20 for i in range(3000)] + [lines(1)])
    response = write(body)
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("3000 lines rejected: line 1: ")
    assert len(message) <= 2000
    assert len(broker_queue()) == 1


def test_hostile_lines_are_rejected_one_by_one(write, broker_queue):
    body = b"\n".join(
        [
            b"t value=1",
            b"t\xff\xfe value=2",  # invalid UTF-8
            b"t value=" + b"9" * 70_000,  # longer than a line may be
            b"t,a=\x00 value=3",  # control character
            b"t value=99999999999999999999i",  # int64 overflow
            b't value="' + b"x" * 2000 + b'"',  # string longer than a reading may hold
            b"t value=4 99999999999999999999999",  # timestamp out of range
            b"t value=5",
        ]
    )
    response = write(body)
    assert response.status_code == 400
    assert response.json()["message"].startswith("6 lines rejected: line 2: ")
    assert sorted(r[3] for r in broker_queue()) == [1.0, 5.0]


def test_an_empty_body_is_400_writing_requires_points(write, broker_queue):
    response = write(b"\n# only a comment\n")
    assert response.status_code == 400
    assert "requires points" in response.json()["message"]


def test_more_readings_than_the_batch_limit_is_413(write, settings, broker_queue):
    settings.TELEMETRY_BATCH_MAX = 10
    assert write(lines(11)).status_code == 413
    # Fields count: 4 lines of 3 fields are 12 readings.
    assert write(b"\n".join(b"t a=1,b=2,c=3 %d" % (time.time_ns() - i) for i in range(4))).status_code == 413
    assert broker_queue() == []
    assert write(lines(10)).status_code == 204


def test_a_body_over_the_byte_limit_is_413(write, settings, broker_queue):
    settings.TELEMETRY_INGEST_MAX_BYTES = 64 * 1024
    assert write(lines(2000)).status_code == 413
    assert broker_queue() == []


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain; charset=utf-8", "application/octet-stream", "application/x-www-form-urlencoded"],
)
def test_line_protocol_media_types_are_taken_leniently(write, content_type, broker_queue):
    assert write(lines(1), content_type=content_type).status_code == 204


def test_a_missing_content_type_is_taken(sensor, broker_queue):
    _sensor, token = sensor
    response = Client().generic("POST", V2, lines(1), content_type="", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 204
    assert len(broker_queue()) == 1


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=x", "image/png"])
def test_other_media_types_are_415(write, content_type, broker_queue):
    response = write(lines(1), content_type=content_type)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported media type"


@pytest.mark.parametrize("url", [V2, "/write?db=x"])
def test_wrong_methods_are_405_and_no_csrf_is_needed(sensor, url, broker_queue):
    _sensor, token = sensor
    strict = Client(enforce_csrf_checks=True, headers={"Authorization": f"Token {token}"})
    assert strict.get(url).status_code == 405
    assert strict.delete(url).status_code == 405
    assert strict.post(url, data=lines(1), content_type="text/plain").status_code == 204


def test_the_write_endpoints_skip_the_browser_middleware_but_not_the_host_check(write, client):
    # Token-authenticated: no session is read or saved (config/leanpath.py), and a foreign Host is still 400.
    response = write(b"temperature value=1")
    assert response.status_code == 204
    assert "Vary" not in response
    assert not response.cookies
    assert response["X-Frame-Options"] == "DENY"
    assert (
        client.post(
            ingest_support.V2, data=b"t value=1", content_type="text/plain", HTTP_HOST="evil.example"
        ).status_code
        == 400
    )
