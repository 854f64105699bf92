"""Sensor pages through the Django test client: every page, owner isolation, tokens shown once, bad input."""

import os
import time
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from telemetry.models import Sensor
from telemetry.services.rejects import rejects_record
from telemetry.services.sensors import sensor_create, sensor_for_token
from telemetry.services.writer import readings_store
from tests.security.urlwalk import hostile_requests
from tests.telemetry import held
from vault.models import Secret

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
WALK_REQUESTS = int(os.environ.get("KEYHOLD_WALK_REQUESTS", "200"))


def make_user(django_user_model, email: str):
    return django_user_model.objects.create_user(email=email, password=PASSWORD, email_verified_at=timezone.now())


@pytest.fixture
def owner(django_user_model):
    return make_user(django_user_model, "owner@example.test")


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def sensor(owner):
    return sensor_create(owner=owner, name="greenhouse", kind="climate", units={"temperature": "°C"})[0]


@pytest.fixture
def strangers_sensor(django_user_model):
    other = make_user(django_user_model, "other@example.test")
    return sensor_create(owner=other, name="theirs")[0]


def url(name: str, sensor: Sensor | None = None) -> str:
    return reverse(f"telemetry:{name}", kwargs={"sensor_id": sensor.pk} if sensor else None)


SENSOR_PAGES = ["sensor-detail", "sensor-edit", "sensor-token", "sensor-key", "sensor-export", "sensor-delete"]


def store(sensor: Sensor, values: list[float], metric: str = "temperature") -> None:
    now = time.time_ns()
    readings_store([[sensor.pk, metric, now - i * 10**9, value, i, None] for i, value in enumerate(values)])


def valid_form(**overrides) -> dict:
    return {
        "name": "boiler",
        "kind": "heater",
        "location": "cellar",
        "units": "temperature = °C",
        "tags": "a, b",
    } | overrides


def test_every_page_requires_sign_in(client, sensor):
    for response in [client.get(url("sensor-list")), client.get(url("sensor-create"))] + [
        client.get(url(name, sensor)) for name in SENSOR_PAGES
    ]:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_another_owners_sensor_is_404_on_every_page_and_action(signed_in, strangers_sensor):
    for name in SENSOR_PAGES:
        assert signed_in.get(url(name, strangers_sensor)).status_code == 404, name
    for name in ["sensor-edit", "sensor-token", "sensor-key", "sensor-delete", "sensor-enabled"]:
        assert signed_in.post(url(name, strangers_sensor), valid_form(confirm="on")).status_code == 404, name
    strangers_sensor.refresh_from_db()
    assert strangers_sensor.name == "theirs"
    assert strangers_sensor.enabled
    assert "theirs" not in signed_in.get(url("sensor-list")).content.decode()
    huge = reverse("telemetry:sensor-detail", kwargs={"sensor_id": 10**30})
    assert signed_in.get(huge).status_code == 404


def test_list_shows_own_sensors_with_last_value_and_unit(signed_in, sensor, strangers_sensor, mongo_db):
    store(sensor, [21.5])
    response = signed_in.get(url("sensor-list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "greenhouse" in page
    assert "theirs" not in page
    assert "temperature: 21.5 °C" in page


def test_list_is_paginated(signed_in, owner, mongo_db):
    for i in range(30):
        sensor_create(owner=owner, name=f"s{i:02d}")
    first = signed_in.get(url("sensor-list")).content.decode()
    second = signed_in.get(url("sensor-list") + "?page=2").content.decode()
    assert "s00" in first
    assert "s29" not in first
    assert "s29" in second
    assert "s00" not in second
    assert signed_in.get(url("sensor-list") + "?page=<script>").status_code == 200


def test_create_shows_a_working_token_once_and_audits(signed_in, owner):
    response = signed_in.post(url("sensor-create"), valid_form())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = response.context["token"]
    sensor = sensor_for_token(token)
    assert sensor is not None
    assert sensor.owner == owner
    assert sensor.name == "boiler"
    assert sensor.units == {"temperature": "°C"}
    assert sensor.tags == ["a", "b"]
    assert token in response.content.decode()
    assert AuditEvent.objects.filter(action="sensor_create", actor=owner, target=f"sensor:{sensor.pk}").exists()
    # Never again: not on the sensor's page, nor its edit or token pages.
    for name in ["sensor-detail", "sensor-edit", "sensor-token"]:
        assert token not in signed_in.get(url(name, sensor)).content.decode()
    assert token not in str(AuditEvent.objects.filter(actor=owner).values_list("detail", flat=True))


@pytest.mark.parametrize(
    "bad",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "bad\x1bname"},
        {"name": "nul\x00name"},
        {"name": "line\nbreak"},
        {"kind": "k" * 51},
        {"location": "l" * 201},
        {"location": "bell\x07"},
        {"units": "no equals sign"},
        {"units": "= °C"},
        {"units": "m = " + "u" * 21},
        {"units": "\n".join(f"m{i} = u" for i in range(60))},
        {"units": "x" * 5000},
        {"tags": ",".join(f"t{i}" for i in range(21))},
        {"tags": "t" * 51},
        {"tags": "tab\x09tag"},
    ],
)
def test_bad_input_to_create_is_a_form_error_and_creates_nothing(signed_in, bad):
    response = signed_in.post(url("sensor-create"), valid_form(**bad))
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Sensor.objects.exists()


def test_duplicate_name_is_a_form_error_on_create_and_edit(signed_in, owner, sensor):
    response = signed_in.post(url("sensor-create"), valid_form(name="greenhouse"))
    assert response.status_code == 400
    assert "already have a sensor with this name" in response.content.decode()
    other = sensor_create(owner=owner, name="other")[0]
    response = signed_in.post(url("sensor-edit", other), valid_form(name="greenhouse"))
    assert response.status_code == 400
    other.refresh_from_db()
    assert other.name == "other"


def test_the_same_name_is_fine_for_two_owners(signed_in, strangers_sensor):
    assert signed_in.post(url("sensor-create"), valid_form(name="theirs")).status_code == 200


def test_edit_changes_the_sensor_and_audits_the_fields(signed_in, owner, sensor):
    form = signed_in.get(url("sensor-edit", sensor)).context["form"]
    assert form.initial["units"] == "temperature = °C"
    response = signed_in.post(url("sensor-edit", sensor), valid_form(name="glasshouse", units="humidity = %"))
    assert response.status_code == 302
    sensor.refresh_from_db()
    assert (sensor.name, sensor.units, sensor.tags) == ("glasshouse", {"humidity": "%"}, ["a", "b"])
    event = AuditEvent.objects.get(action="sensor_update", actor=owner)
    assert "name" in event.detail["fields"]
    assert "units" in event.detail["fields"]


@pytest.mark.parametrize("bad", [{"name": "x" * 101}, {"name": "a\x00"}, {"units": "oops"}, {"location": "a\x85b"}])
def test_bad_input_to_edit_is_a_form_error(signed_in, sensor, bad):
    assert signed_in.post(url("sensor-edit", sensor), valid_form(**bad)).status_code == 400
    sensor.refresh_from_db()
    assert sensor.name == "greenhouse"


def test_disable_refuses_the_token_and_enable_restores_it(signed_in, owner):
    token = signed_in.post(url("sensor-create"), valid_form()).context["token"]
    sensor = Sensor.objects.get(name="boiler")
    assert signed_in.get(url("sensor-enabled", sensor)).status_code == 405
    assert signed_in.post(url("sensor-enabled", sensor)).status_code == 302
    assert sensor_for_token(token) is None
    assert "disabled" in signed_in.get(url("sensor-detail", sensor)).content.decode()
    signed_in.post(url("sensor-enabled", sensor), {"enabled": "on"})
    assert sensor_for_token(token) == sensor
    assert AuditEvent.objects.filter(action="sensor_update", actor=owner).count() == 2


def test_token_rotation_shows_the_new_token_once_and_retires_the_old(signed_in, owner):
    old = signed_in.post(url("sensor-create"), valid_form()).context["token"]
    sensor = Sensor.objects.get(name="boiler")
    confirm = signed_in.get(url("sensor-token", sensor))
    assert confirm.status_code == 200
    assert sensor.token_prefix in confirm.content.decode()
    response = signed_in.post(url("sensor-token", sensor))
    new = response.context["token"]
    assert new != old
    assert new in response.content.decode()
    assert sensor_for_token(old) is None
    assert sensor_for_token(new) == sensor
    assert AuditEvent.objects.filter(action="sensor_token", actor=owner).exists()


def test_hmac_key_is_created_then_rotated_with_a_grace_period_shown_once(signed_in, sensor):
    page = signed_in.get(url("sensor-key", sensor)).content.decode()
    assert "no key yet" in page
    first = signed_in.post(url("sensor-key", sensor))
    assert first.status_code == 200
    assert "no-store" in first["Cache-Control"]
    key = first.context["key"]
    assert key in first.content.decode()
    sensor.refresh_from_db()
    assert sensor.hmac_secret is not None
    assert key not in signed_in.get(url("sensor-key", sensor)).content.decode()
    assert key not in signed_in.get(url("sensor-detail", sensor)).content.decode()
    second = signed_in.post(url("sensor-key", sensor))
    assert second.context["key"] != key
    assert "grace period" in second.content.decode()


def test_hmac_key_needs_a_verified_account(client, django_user_model):
    person = django_user_model.objects.create_user(email="new@example.test", password=PASSWORD)
    sensor = sensor_create(owner=person, name="n")[0]
    client.force_login(person)
    assert client.post(url("sensor-key", sensor)).status_code == 403
    sensor.refresh_from_db()
    assert sensor.hmac_secret is None


def test_delete_needs_confirmation_then_removes_sensor_key_and_readings(signed_in, owner, sensor, mongo_db):
    other = sensor_create(owner=owner, name="kept")[0]
    store(sensor, [1.0, 2.0, 3.0])
    store(other, [4.0])
    rejects_record({sensor.pk: (2, "bad line")})
    signed_in.post(url("sensor-key", sensor))
    assert signed_in.get(url("sensor-delete", sensor)).status_code == 200
    assert signed_in.post(url("sensor-delete", sensor)).status_code == 400
    assert Sensor.objects.filter(pk=sensor.pk).exists()
    response = signed_in.post(url("sensor-delete", sensor), {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == url("sensor-list")
    assert not Sensor.objects.filter(pk=sensor.pk).exists()
    assert not Secret.objects.filter(owner=owner, path__startswith=f"telemetry/sensors/{sensor.pk}/").exists()
    for collection in ("buckets", "series", "rejects"):
        assert mongo_db[collection].count_documents({"s": sensor.pk}) == 0, collection
    assert held.count(mongo_db, other.pk) == 1
    assert mongo_db["series"].count_documents({"s": other.pk}) == 1
    assert AuditEvent.objects.filter(action="sensor_delete", actor=owner, target=f"sensor:{sensor.pk}").exists()


def test_detail_shows_charts_latest_readings_and_rejects(signed_in, sensor, mongo_db):
    store(sensor, [20.0, 21.0, 22.5])
    store(sensor, [55.0], metric="humidity")
    rejects_record({sensor.pk: (3, "value is not a number")})
    response = signed_in.get(url("sensor-detail", sensor))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<svg") == 3
    assert "22.5 °C" in page
    assert "3 rejected" in page
    assert "value is not a number" in page
    humidity = signed_in.get(url("sensor-detail", sensor) + "?metric=humidity").content.decode()
    assert "humidity: Last hour" in humidity
    # An unknown metric falls back to the first one instead of failing.
    assert signed_in.get(url("sensor-detail", sensor) + "?metric=%3Cscript%3E").status_code == 200


def test_detail_without_readings_says_so(signed_in, sensor, mongo_db):
    response = signed_in.get(url("sensor-detail", sensor))
    assert response.status_code == 200
    assert "No readings yet" in response.content.decode()


def test_health_page_is_for_staff_only(staff_client, owner, mongo_db):
    stranger = Client()
    assert stranger.get(reverse("telemetry:health")).status_code == 302
    stranger.force_login(owner)
    assert stranger.get(reverse("telemetry:health")).status_code == 302
    response = staff_client.get(reverse("telemetry:health"))
    assert response.status_code == 200
    assert set(response.context["health"]) >= {"ingest_per_second", "queue_depth", "dead_letters"}
    assert "Queue depth" in response.content.decode()


def test_admin_lists_sensors_without_token_hash(staff_client, sensor, staff_user):
    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    listing = staff_client.get(reverse("admin:telemetry_sensor_changelist") + "?q=green")
    assert listing.status_code == 200
    assert "greenhouse" in listing.content.decode()
    change = staff_client.get(reverse("admin:telemetry_sensor_change", args=[sensor.pk])).content.decode()
    assert sensor.token_prefix in change
    assert sensor.token_hash not in change
    assert sensor.token_hash not in listing.content.decode()


OWNED_PAGES = [*SENSOR_PAGES, "sensor-enabled"]


@pytest.mark.parametrize("name", OWNED_PAGES)
def test_hostile_requests_to_an_owned_sensor_never_get_a_server_error(name, owner, mongo_db, settings):
    """The URL walk (tests/security) only reaches sensor 1, which nobody there owns: walk a real one here."""
    sensor = sensor_create(owner=owner, name="walked")[0]
    store(sensor, [1.0, 2.0])
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    csrf = "k" * 32
    failures = []
    for request in hostile_requests(url(name, sensor), count=WALK_REQUESTS, seed=7, oversized=b"x" * 3_000_000):
        path, _, query = request.path.partition("?")
        target = quote(path) + ("?" + quote(query.encode("utf-8", "surrogatepass"), safe="=&") if query else "")
        client.cookies.pop(settings.CSRF_COOKIE_NAME, None)
        headers = dict(request.headers)
        if request.csrf != "none":
            client.cookies[settings.CSRF_COOKIE_NAME] = csrf
            headers["HTTP_X_CSRFTOKEN"] = csrf if request.csrf == "cookie" else csrf[::-1]
        response = client.generic(request.method, target, request.body, request.content_type, **headers)
        if response.status_code >= 500:
            failures.append((request.method, request.path[:80], response.status_code))
    assert failures == []
