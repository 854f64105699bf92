"""POST /api/telemetry/readings: JSON batches, per-entry rejection, limits, and hostile bodies never a 500."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from telemetry.services.rejects import UNKNOWN_SENSOR, rejects_since
from tests.telemetry import ingest_support

pytestmark = pytest.mark.django_db

URL = "/api/telemetry/readings"

broker_queue = pytest.fixture(ingest_support.broker_queue)
owner = pytest.fixture(ingest_support.owner)
sensor = pytest.fixture(ingest_support.sensor)


@pytest.fixture
def post(client, sensor):
    _sensor, token = sensor

    def send(body, *, content_type="application/json", **headers):
        data = body if isinstance(body, bytes) else json.dumps(body)
        return client.post(
            URL, data=data, content_type=content_type, headers={"Authorization": f"Token {token}", **headers}
        )

    return send


def test_a_good_batch_is_204_and_queued_with_exact_timestamps(post, sensor, broker_queue):
    sensor, _token = sensor
    now = datetime.now(UTC).replace(microsecond=0)
    epoch = int(now.timestamp())
    body = [
        {
            "sensor": sensor.pk,
            "metric": "temperature",
            "value": 21.5,
            "ts": now.strftime("%Y-%m-%dT%H:%M:%S.123456789Z"),
            "seq": 17,
        },
        {"metric": "humidity", "value": 40, "ts": epoch + 0.25, "tags": {"room": "hall"}},
        {"metric": "door", "value": True, "ts": now.strftime("%Y-%m-%dT%H:%M:%S+02:00")},
        {"metric": "label", "value": "ok", "ts": epoch},
    ]
    response = post(body)
    assert response.status_code == 204, response.content
    readings = broker_queue()
    assert readings[0] == [sensor.pk, "temperature", epoch * 10**9 + 123456789, 21.5, 17, None]
    assert readings[1] == [sensor.pk, "humidity", epoch * 10**9 + 250_000_000, 40, 0, {"room": "hall"}]
    assert readings[2][2] == (epoch - 7200) * 10**9
    assert readings[3][2:5] == [epoch * 10**9, "ok", 0]


def test_ts_left_out_is_the_servers_clock(post, broker_queue):
    before = time.time_ns()
    assert post([{"metric": "t", "value": 1}]).status_code == 204
    [reading] = broker_queue()
    assert before <= reading[2] <= time.time_ns()


def test_bad_entries_are_listed_counted_and_the_good_ones_still_queued(post, sensor, broker_queue, mongo_db):
    sensor, _token = sensor
    body = [
        {"metric": "t", "value": 1},
        {"metric": "t", "value": "x" * 5000},
        {"metric": "t", "value": 2, "ts": "yesterday"},
        {"metric": "t", "value": 3, "ts": 10},
        {"metric": "t", "value": 4, "sensor": sensor.pk + 999},
    ]
    response = post(body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["accepted"] == 1
    assert answer["rejected"] == 4
    assert [error["index"] for error in answer["errors"]] == [1, 2, 3, 4]
    assert "string value longer" in answer["errors"][0]["reason"]
    assert "older than" in answer["errors"][2]["reason"]
    assert [r[3] for r in broker_queue()] == [1]
    counts = rejects_since(datetime.now(UTC) - timedelta(hours=1))
    # Three were this sensor's; the one naming a sensor the token may not write is counted as unknown.
    assert counts[sensor.pk]["count"] == 3
    assert counts[UNKNOWN_SENSOR]["count"] == 1


def test_a_batch_over_the_limit_is_413_and_nothing_is_queued(post, settings, broker_queue):
    settings.TELEMETRY_BATCH_MAX = 10
    response = post([{"metric": "t", "value": i} for i in range(11)])
    assert response.status_code == 413
    assert response.json()["code"] == "request too large"
    assert broker_queue() == []
    assert post([{"metric": "t", "value": i, "seq": i} for i in range(10)]).status_code == 204


def test_a_body_over_the_byte_limit_is_413(post, settings, broker_queue):
    settings.TELEMETRY_INGEST_MAX_BYTES = 64 * 1024
    response = post([{"metric": "t", "value": "x" * 1000, "seq": i} for i in range(100)])
    assert response.status_code == 413
    assert broker_queue() == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_anything_but_json_is_415(post, content_type, broker_queue):
    response = post([{"metric": "t", "value": 1}], content_type=content_type)
    assert response.status_code == 415
    assert broker_queue() == []


def test_other_methods_are_405(client):
    assert client.get(URL).status_code == 405
    assert client.put(URL, data="[]", content_type="application/json").status_code == 405


def test_no_csrf_token_or_session_is_needed(sensor, broker_queue):
    from django.test import Client

    _sensor, token = sensor
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        URL,
        data='[{"metric": "t", "value": 1}]',
        content_type="application/json",
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code == 204
    assert len(broker_queue()) == 1


def test_an_empty_list_is_204_with_nothing_queued(post, broker_queue):
    assert post([]).status_code == 204
    assert broker_queue() == []


@pytest.mark.parametrize(
    "body",
    [
        b" ",
        b"\xff\xfe[1]",
        b'[{"metric": "t", "value": "\xc3\x28"}]',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"metric": "t", "value": 1}',
        b"null",
        b"17",
        b'"text"',
        b"[1e999999",
        b"[" + b"9" * 5000 + b"]",
        b"[{]",
    ],
    ids=[
        "blank",
        "bom-utf16",
        "invalid-utf8",
        "deep",
        "object",
        "null",
        "number",
        "string",
        "truncated",
        "long-int",
        "bad",
    ],
)
def test_hostile_bodies_are_400_never_500(post, body, broker_queue):
    response = post(body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert broker_queue() == []


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('{"metric": "t", "value": NaN}', "finite"),
        ('{"metric": "t", "value": Infinity}', "finite"),
        ('{"metric": "t", "value": -Infinity}', "finite"),
        ('{"metric": "t", "value": 1e999}', "finite"),
        ('{"metric": "t", "value": 1, "ts": NaN}', "ts must be"),
        ('{"metric": "t", "value": 1, "ts": true}', "ts must be"),
        ('{"metric": "t", "value": 1, "seq": true}', "seq must be"),
        ('{"metric": "t", "value": 1, "seq": 1.5}', "seq must be"),
        ('{"metric": "t", "value": 1, "seq": -1}', "seq must be"),
        ('{"metric": "t", "value": 1, "sensor": true}', "sensor must be"),
        ('{"metric": "t", "value": 1, "sensor": "1"}', "sensor must be"),
        ('{"metric": "t", "value": 1, "sensor": [1]}', "sensor must be"),
        ('{"metric": "t", "value": [1]}', "value must be"),
        ('{"metric": "t", "value": {"a": 1}}', "value must be"),
        ('{"metric": "t", "value": null}', "value must be"),
        ('{"metric": "t", "value": 99999999999999999999}', "int64"),
        ('{"metric": 7, "value": 1}', "metric must be"),
        ('{"metric": "", "value": 1}', "metric must be"),
        ('{"metric": "a\\u0000b", "value": 1}', "control"),
        ('{"value": 1}', "metric must be"),
        ('{"metric": "t", "value": 1, "tags": ["a"]}', "tags must be"),
        ('{"metric": "t", "value": 1, "tags": {"a": 1}}', "each tag"),
        ('{"metric": "t", "value": 1, "ts": "2026-13-45T99:00:00Z"}', "not a real date"),
        ('{"metric": "t", "value": 1, "ts": "2026-01-01T00:00:00"}', "RFC 3339"),
        ('{"metric": "t", "value": 1, "valu": 2}', "unknown key"),
        ("[1, 2]", "must be a JSON object"),
        ("7", "must be a JSON object"),
    ],
)
def test_wrong_types_and_non_finite_numbers_are_rejected_per_entry(post, entry, reason, broker_queue):
    response = post(f'[{entry}, {{"metric": "good", "value": 1}}]'.encode())
    assert response.status_code == 400
    answer = response.json()
    assert answer["accepted"] == 1
    assert answer["errors"][0]["index"] == 0
    assert reason in answer["errors"][0]["reason"]
    assert [r[1] for r in broker_queue()] == ["good"]


def test_the_error_list_is_bounded(post, broker_queue):
    response = post([{"metric": "t", "value": None}] * 1000)
    answer = response.json()
    assert (answer["accepted"], answer["rejected"], len(answer["errors"])) == (0, 1000, 100)


def test_an_empty_body_has_no_media_type_and_is_415(post, broker_queue):
    assert post(b"").status_code == 415
    assert broker_queue() == []


@pytest.mark.parametrize("kind", ["json", "plain line protocol", "escaped line protocol"])
def test_a_request_is_queued_as_one_task_so_a_refused_one_queued_nothing(
    post, client, sensor, broker_queue, ingest_broker, settings, kind
):
    settings.TELEMETRY_TASK_BATCH = 10
    _sensor, token = sensor
    now = time.time_ns()
    broker = redis.Redis.from_url(ingest_broker.url)
    if kind == "json":
        response = post([{"metric": "m", "value": i, "ts": now / 1e9 - i} for i in range(50)])
    else:
        measurement = "m" if kind == "plain line protocol" else "m\\ x"
        body = "\n".join(f"{measurement} value={i} {now - i}" for i in range(50)).encode()
        response = client.post(
            ingest_support.V2, data=body, content_type="text/plain", headers={"Authorization": f"Token {token}"}
        )
    assert response.status_code == 204
    assert broker.llen("telemetry") == 1
    assert len(broker_queue()) == 50
    broker.close()
