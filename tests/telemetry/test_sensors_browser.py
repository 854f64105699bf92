"""Sensor pages in a real browser: create, copy the token once, readings become a chart, rotate, delete."""

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from telemetry.models import Sensor
from telemetry.services.sensors import sensor_for_token
from telemetry.services.writer import readings_store
from tests.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user(
        email="sensors@example.test", password=PASSWORD, display_name="Sol", email_verified_at=timezone.now()
    )


def test_owner_creates_a_sensor_sees_its_chart_rotates_the_token_and_deletes_it(page, person, mongo_db):
    sign_in(page, person.email, PASSWORD)
    page.get_by_role("link", name="Sensors").click()
    expect(page.get_by_test_id("sensor-empty")).to_be_visible()
    page.get_by_role("link", name="New sensor").first.click()
    page.get_by_label("Name").fill("greenhouse")
    page.get_by_label("Kind").fill("climate")
    page.get_by_label("Units").fill("temperature = °C")
    page.get_by_role("button", name="Create sensor").click()

    token = page.get_by_test_id("sensor-token").input_value()
    assert token.startswith("khs_")
    assert "shown only this once" in page.content()
    screenshot(page, "sensor-created")
    sensor = sensor_for_token(token)
    assert sensor is not None

    # The readings a device would send, stored the way the worker stores them.
    now = time.time_ns()
    readings_store([[sensor.pk, "temperature", now - i * 60 * 10**9, 20.0 + i % 5, 0, None] for i in range(30)])

    page.get_by_role("link", name="Go to the sensor").click()
    assert token not in page.content()
    hour_chart = page.get_by_test_id("chart").first
    expect(hour_chart.locator("svg polyline.chart-mean")).to_have_count(1)
    expect(page.get_by_test_id("latest-table")).to_contain_text("20.0 °C")
    screenshot(page, "sensor-detail")

    page.get_by_role("link", name="Sensors").click()
    expect(page.get_by_test_id("sensor-last-value")).to_contain_text("temperature: 20.0 °C")

    page.get_by_role("link", name="greenhouse").click()
    page.get_by_role("link", name="Replace token").click()
    page.get_by_role("button", name="Replace the token").click()
    new_token = page.get_by_test_id("sensor-token").input_value()
    assert new_token != token
    assert sensor_for_token(token) is None
    assert sensor_for_token(new_token) == sensor

    page.get_by_role("link", name="Go to the sensor").click()
    page.get_by_role("link", name="Delete").click()
    page.get_by_label("Yes, delete this sensor and its readings").check()
    page.get_by_role("button", name="Delete the sensor for good").click()
    expect(page.get_by_test_id("sensor-empty")).to_be_visible()
    assert not Sensor.objects.filter(pk=sensor.pk).exists()
    assert mongo_db["buckets"].count_documents({"s": sensor.pk}) == 0
    assert page.console_errors == []
