"""The heartbeat proves the whole chain: web -> broker -> worker -> MongoDB -> status page."""

import pytest
from django.conf import settings

from telemetry import selectors
from telemetry.documents import Heartbeat
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


# Transactional: the view dispatches on commit, and a test wrapped in a transaction never commits.
@pytest.mark.django_db(transaction=True)
def test_staff_request_travels_through_broker_and_worker_into_mongodb(staff_client, celery_worker_thread, mongo_db):
    assert selectors.heartbeat_latest() is None

    response = staff_client.post("/telemetry/status/")
    assert response.status_code == 302

    heartbeat = wait_until(selectors.heartbeat_latest, timeout=15)
    assert heartbeat.requested_by == "staff"
    # Written by the worker, which signs it with its node name (the solo pool gives only the host part).
    node = celery_worker_thread.hostname
    assert heartbeat.worker in {node, node.split("@")[-1]}
    assert mongo_db["heartbeats"].count_documents({}) == 1

    page = staff_client.get("/telemetry/status/")
    assert page.status_code == 200
    assert heartbeat.worker in page.content.decode()


def test_status_page_says_when_no_heartbeat_arrived(staff_client, mongo_db):
    page = staff_client.get("/telemetry/status/")
    assert page.status_code == 200
    assert b"No heartbeat has arrived yet" in page.content


def test_beat_schedules_the_heartbeat_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["telemetry-heartbeat"]
    assert entry["task"] == "telemetry.tasks.heartbeat"
    assert entry["schedule"] == 60.0


def test_heartbeat_task_is_routed_to_the_telemetry_queue():
    from config.celery import app

    route = app.amqp.router.route({}, "telemetry.tasks.heartbeat")
    assert route["queue"].name == "telemetry"


def test_status_page_is_for_staff_only(client, django_user_model):
    assert client.get("/telemetry/status/").status_code == 302
    user = django_user_model.objects.create_user(email="plain@example.test", password="x" * 16)
    client.force_login(user)
    response = client.get("/telemetry/status/")
    assert response.status_code == 302
    assert "/login" in response["Location"]
    assert client.post("/telemetry/status/").status_code == 302
    assert Heartbeat.objects.count() == 0


def test_status_post_without_csrf_token_is_refused(staff_user, mongo_db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    assert client.post("/telemetry/status/").status_code == 403
