"""Health endpoints answer fast, report each dependency, and leak nothing beyond ok/short reasons."""

import time

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_touching_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_every_dependency_ok_with_a_worker_running(client, celery_worker_thread):
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 3
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"postgres": "ok", "cache": "ok", "broker": "ok", "mongodb": "ok", "worker": "ok"},
    }


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_health_endpoints_refuse_writes(client, method):
    for url in ("/healthz", "/readyz"):
        assert getattr(client, method)(url).status_code == 405


def test_health_endpoints_ignore_hostile_query_strings(client):
    response = client.get("/healthz?%ff%fe=%00" + "a" * 5000)
    assert response.status_code == 200
