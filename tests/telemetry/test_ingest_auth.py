"""Who may write: sensor tokens for their own sensor, user API tokens with the write scope for their sensors."""

import base64

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services.tokens import token_create
from telemetry.models import Sensor
from telemetry.services.sensors import sensor_create
from tests.telemetry import ingest_support
from tests.telemetry.ingest_support import lines

pytestmark = pytest.mark.django_db

broker_queue = pytest.fixture(ingest_support.broker_queue)
owner = pytest.fixture(ingest_support.owner)
sensor = pytest.fixture(ingest_support.sensor)
write_token = pytest.fixture(ingest_support.write_token)

V2 = "/api/v2/write?org=any&bucket=any"
JSON = "/api/telemetry/readings"


def test_v2_without_a_token_is_401_in_influx_shape(client, broker_queue):
    response = client.post(V2, data=lines(1), content_type="text/plain")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Token")
    assert broker_queue() == []


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token"])
def test_a_sensor_token_writes_its_sensor(client, sensor, scheme, broker_queue):
    sensor, token = sensor
    response = client.post(V2, data=lines(3), content_type="text/plain", headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 204, response.content
    assert {reading[0] for reading in broker_queue()} == {sensor.pk}


@pytest.mark.parametrize(
    "authorization",
    ["Token khs_00000000_" + "A" * 43, "Token nonsense", "Token ", "Digest abc", "Basic !!!", "Token khp_0_x"],
)
def test_invalid_tokens_are_401_never_500(client, sensor, authorization, broker_queue):
    response = client.post(V2, data=lines(1), content_type="text/plain", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert "khs_" not in response.content.decode()
    assert broker_queue() == []


def test_a_disabled_sensor_token_is_invalid(client, sensor, broker_queue):
    sensor, token = sensor
    Sensor.objects.filter(pk=sensor.pk).update(enabled=False)
    response = client.post(V2, data=lines(1), content_type="text/plain", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 401
    assert broker_queue() == []


def test_two_different_tokens_are_refused(client, sensor, write_token, broker_queue):
    _sensor, token = sensor
    response = client.post(
        f"/write?db=x&p={write_token}",
        data=lines(1),
        content_type="text/plain",
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code == 401
    assert response.json() == {"error": "Two different tokens were sent."}


def test_v1_takes_the_token_as_query_password_or_basic_password(client, sensor, broker_queue):
    sensor, token = sensor
    assert client.post(f"/write?db=x&u=me&p={token}", data=lines(2), content_type="text/plain").status_code == 204
    basic = base64.b64encode(f"telegraf:{token}".encode()).decode()
    response = client.post(
        "/write?db=x", data=lines(2, start=2), content_type="text/plain", headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 204
    assert len(broker_queue()) == 4


def test_v2_does_not_take_query_or_basic_tokens(client, sensor, broker_queue):
    _sensor, token = sensor
    assert client.post(f"{V2}&p={token}", data=lines(1), content_type="text/plain").status_code == 401
    basic = base64.b64encode(f"u:{token}".encode()).decode()
    response = client.post(V2, data=lines(1), content_type="text/plain", headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 401


def test_a_user_token_writes_any_enabled_sensor_of_its_owner_named_by_tag(client, owner, write_token, broker_queue):
    first, _ = sensor_create(owner=owner, name="a")
    second, _ = sensor_create(owner=owner, name="b")
    body = f"t,sensor={first.pk},room=hall value=1\nt,sensor={second.pk} value=2\n".encode()
    response = client.post(V2, data=body, content_type="text/plain", headers={"Authorization": f"Token {write_token}"})
    assert response.status_code == 204, response.content
    readings = sorted(broker_queue())
    # The sensor tag names the sensor and is not stored as a tag.
    assert [(r[0], r[1], r[3], r[5]) for r in readings] == [
        (first.pk, "t", 1.0, {"room": "hall"}),
        (second.pk, "t", 2.0, None),
    ]


def test_a_user_token_cannot_write_someone_elses_sensor(client, django_user_model, write_token, owner, broker_queue):
    stranger = django_user_model.objects.create_user(email="other@example.test", password="y" * 16)
    theirs, _ = sensor_create(owner=stranger, name="theirs")
    mine, _ = sensor_create(owner=owner, name="mine")
    body = f"t,sensor={theirs.pk} value=1\nt value=2\nt,sensor=abc value=3\nt,sensor={mine.pk} value=4".encode()
    response = client.post(V2, data=body, content_type="text/plain", headers={"Authorization": f"Bearer {write_token}"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("3 lines rejected: line 1: this token may not write that sensor")
    assert "line 2: a sensor=<id> tag is required" in message
    assert "line 3:" in message
    assert [(r[0], r[3]) for r in broker_queue()] == [(mine.pk, 4.0)]


def test_a_user_token_in_json_names_the_sensor(client, owner, write_token, broker_queue):
    mine, _ = sensor_create(owner=owner, name="mine")
    body = [{"sensor": mine.pk, "metric": "t", "value": 1}, {"metric": "t", "value": 2}]
    response = client.post(
        JSON, data=body, content_type="application/json", headers={"Authorization": f"Bearer {write_token}"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 1, "reason": "sensor must be a sensor id (an integer)"}]
    assert [r[0] for r in broker_queue()] == [mine.pk]


def test_user_tokens_without_write_or_with_path_limits_are_403(client, owner, broker_queue):
    sensor_create(owner=owner, name="a")
    _t, read_only = token_create(user=owner, name="r", can_read=True, can_write=False)
    _t, limited = token_create(user=owner, name="l", can_read=True, can_write=True, path_prefixes=["prod"])
    for token in (read_only, limited):
        response = client.post(
            V2, data=lines(1), content_type="text/plain", headers={"Authorization": f"Token {token}"}
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


def test_revoked_and_expired_user_tokens_are_401(client, owner, write_token, broker_queue):
    ApiToken.objects.update(expires_at=timezone.now())
    response = client.post(
        V2, data=lines(1), content_type="text/plain", headers={"Authorization": f"Token {write_token}"}
    )
    assert response.status_code == 401
    ApiToken.objects.update(expires_at=None, revoked_at=timezone.now())
    response = client.post(
        V2, data=lines(1), content_type="text/plain", headers={"Authorization": f"Token {write_token}"}
    )
    assert response.status_code == 401


def test_a_sensor_token_may_not_name_another_sensor(client, sensor, owner, broker_queue):
    sensor, token = sensor
    other, _ = sensor_create(owner=owner, name="other")
    body = f"t,sensor={other.pk} value=1\nt,sensor={sensor.pk} value=2\n".encode()
    response = client.post(V2, data=body, content_type="text/plain", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("1 lines rejected: line 1: this token may not write")
    assert [(r[0], r[3], r[5]) for r in broker_queue()] == [(sensor.pk, 2.0, None)]
