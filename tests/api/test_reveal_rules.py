"""API reads follow the vault's reveal rules: the hourly budget, the audit trail, and no values in refusals."""

import time

import pytest
from django.test import Client, override_settings

from accounts.models import AuditEvent
from tests.api.conftest import make_token
from vault.services import secret_reveal, secret_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {make_token(api_user)}")


@override_settings(VAULT_REVEAL_BUDGET=1)
def test_api_reads_spend_the_reveal_budget(api, api_user):
    for path in ("one", "two"):
        secret_update(owner=api_user, path=path, fields={"k": "v"})
    assert api.get("/v1/secret/data/one").status_code == 200
    assert api.get("/v1/secret/data/one").status_code == 200  # the same secret again costs nothing
    refused = api.get("/v1/secret/data/two")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    denied = AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_REVEAL, outcome=AuditEvent.Outcome.DENIED)
    assert denied.get().target == "two"


def test_api_writes_keep_notes_written_in_the_web_ui(api, api_user):
    secret_update(owner=api_user, path="n", fields={"k": "v"}, notes="rotate quarterly")
    response = api.post("/v1/secret/data/n", {"data": {"k": "new"}}, content_type="application/json")
    assert response.status_code == 200
    revealed = secret_reveal(user=api_user, path="n", authenticated_at=time.time())
    assert (revealed.fields, revealed.notes) == ({"k": "new"}, "rotate quarterly")


def test_refusals_never_echo_values(api, api_user):
    response = api.post("/v1/secret/data/x", {"data": {"k": 12345678}}, content_type="application/json")
    assert response.status_code == 400
    assert b"12345678" not in response.content


def test_mount_changes_are_audited(api, api_user):
    body = {"type": "kv", "options": {"version": "2"}}
    assert api.post("/v1/sys/mounts/team", body, content_type="application/json").status_code == 204
    assert api.post("/v1/team/config", {"cas_required": True}, content_type="application/json").status_code == 204
    assert api.delete("/v1/sys/mounts/team").status_code == 204
    events = AuditEvent.objects.filter(actor=api_user, target="team/").order_by("id")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["mount_create", "mount_config", "mount_delete"]
