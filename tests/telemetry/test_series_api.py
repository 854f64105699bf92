"""GET /api/telemetry/sensors/<id>/series: owner only, strict parameters, buckets from raw or rollups."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from accounts.services.tokens import token_create
from telemetry.services.rollups import rollup_minutes
from telemetry.services.sensors import sensor_create
from telemetry.services.writer import readings_store

pytestmark = pytest.mark.django_db

BASE = datetime.fromtimestamp((time.time() // 3600 - 2) * 3600, tz=UTC)
START = BASE.isoformat()
END = (BASE + timedelta(minutes=10)).isoformat()


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(email="owner@example.test", password="x" * 16)


@pytest.fixture
def sensor(owner, mongo_db):
    sensor, _token = sensor_create(owner=owner, name="boiler")
    ns = int(BASE.timestamp()) * 1_000_000_000
    readings = [[sensor.pk, "temp", ns + i * 5_000_000_000, float(i), 0, None] for i in range(120)]
    readings_store(readings)
    return sensor


def url(sensor_id: int) -> str:
    return f"/api/telemetry/sensors/{sensor_id}/series"


def test_the_signed_in_owner_gets_raw_buckets(client, owner, sensor):
    client.force_login(owner)
    response = client.get(url(sensor.pk), {"metric": "temp", "start": START, "end": END, "step": "30"})
    assert response.status_code == 200
    body = response.json()
    assert (body["source"], body["step"], len(body["buckets"])) == ("raw", 30, 20)
    assert body["buckets"][0] == {"t": START, "count": 6, "min": 0.0, "max": 5.0, "mean": 2.5, "last": 5.0}
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_read_token_of_the_owner_gets_minute_buckets_from_rollups(client, owner, sensor):
    rollup_minutes(start=BASE, end=BASE + timedelta(minutes=10))
    _token, raw = token_create(user=owner, name="grafana", can_read=True, can_write=False)
    response = client.get(
        url(sensor.pk),
        {"metric": "temp", "start": START, "end": END, "step": "120"},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 200
    buckets = response.json()["buckets"]
    assert [bucket["count"] for bucket in buckets] == [24, 24, 24, 24, 24]
    assert buckets[-1]["last"] == 119.0


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer khp_nope"}, {"HTTP_X_VAULT_TOKEN": "x"}])
def test_without_a_usable_credential_the_answer_is_401(client, sensor, headers):
    response = client.get(url(sensor.pk), {"metric": "temp"}, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_write_only_and_path_limited_tokens_are_refused(client, owner, sensor):
    _t, write_only = token_create(user=owner, name="w", can_read=False, can_write=True)
    _t, limited = token_create(user=owner, name="l", can_read=True, can_write=False, path_prefixes=["prod"])
    for raw in (write_only, limited):
        assert client.get(url(sensor.pk), {"metric": "temp"}, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 403


def test_someone_elses_sensor_and_a_missing_one_are_both_404(client, django_user_model, sensor):
    stranger = django_user_model.objects.create_user(email="stranger@example.test", password="x" * 16)
    client.force_login(stranger)
    assert client.get(url(sensor.pk), {"metric": "temp"}).status_code == 404
    _t, raw = token_create(user=stranger, name="r", can_read=True, can_write=False)
    assert client.get(url(sensor.pk), {"metric": "temp"}, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 404
    assert client.get(url(sensor.pk + 1000), {"metric": "temp"}).status_code == 404


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({}, "metric is required"),
        ({"metric": "x" * 201}, "metric is required"),
        ({"metric": "temp\x00"}, "metric is required"),
        ({"metric": "temp", "start": "yesterday"}, "start must be an ISO 8601"),
        ({"metric": "temp", "end": "2026-01-01T00:00:00"}, "end needs a UTC offset"),
        ({"metric": "temp", "start": "9" * 100}, "start is too long"),
        ({"metric": "temp", "step": "0"}, "step must be from 1"),
        ({"metric": "temp", "step": "-5"}, "step must be a whole number"),
        ({"metric": "temp", "step": "1e3"}, "step must be a whole number"),
        ({"metric": "temp", "step": "٣"}, "step must be a whole number"),
        ({"metric": "temp", "step": "99999999999"}, "step must be a whole number"),
        ({"metric": "temp", "start": END, "end": START}, "start must be before end"),
        ({"metric": "temp", "start": "2020-01-01T00:00:00Z", "step": "1"}, "more than 5000 buckets"),
        ({"metric": "temp", "colour": "red"}, "unknown parameter: colour"),
        ({"metric": ["temp", "hum"]}, "each parameter may be given once"),
    ],
)
def test_bad_parameters_get_400_with_the_reason(client, owner, sensor, query, reason):
    client.force_login(owner)
    response = client.get(url(sensor.pk), query)
    assert response.status_code == 400
    assert response.json()["error"].startswith(reason)


def test_only_get_is_allowed(client, owner, sensor):
    client.force_login(owner)
    assert client.post(url(sensor.pk), {"metric": "temp"}).status_code == 405


def test_mongodb_down_is_503_not_500(client, owner, sensor, monkeypatch):
    from telemetry import views_api
    from telemetry.mongo import MongoUnavailable

    def unreachable(*args, **kwargs):
        # Stopping the session's MongoDB would break every other test's fixtures: fake its absence here
        # (tests/telemetry/test_worker_faults.py stops a real one).
        raise MongoUnavailable("MongoDB unreachable at mongodb://127.0.0.1:1/keyhold: ServerSelectionTimeoutError")

    monkeypatch.setattr(views_api, "series_read", unreachable)
    client.force_login(owner)
    response = client.get(url(sensor.pk), {"metric": "temp"})
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "127.0.0.1" not in response.content.decode()
