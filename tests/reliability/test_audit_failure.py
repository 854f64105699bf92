"""The audit trail refusing writes: every reveal, on the web and through the KV v2 API, fails closed.

A PostgreSQL trigger makes the audit table reject every insert, as a full disk or a broken table would;
it lives in this test's transaction and is gone with it.
"""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from tests.api.conftest import make_token
from tests.vault.vault_support import PASSWORD, make_user
from vault.services import secret_create
from vault.services.budget import reveal_budget_reset

pytestmark = [pytest.mark.fault, pytest.mark.reliability, pytest.mark.django_db]

REVEALS = 20
CANARY = "canary-audit-down-{n}-Vb7Q"


@pytest.fixture
def person(django_user_model):
    user = make_user(django_user_model, "audit-down@example.test")
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    for n in range(REVEALS):
        secret_create(owner=user, path=f"app/{n}", fields={"password": CANARY.format(n=n)})
    yield user
    reveal_budget_reset(user=user)


def audit_rejects_inserts() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_audit_reject() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit trail unavailable (test)'; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER test_audit_reject BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION test_audit_reject()"
        )


def test_every_reveal_fails_closed_when_the_audit_record_cannot_be_written(person):
    web = Client(raise_request_exception=False)
    web.force_login(person)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {make_token(person)}")
    reveal_url = reverse("vault:secret-reveal", kwargs={"secret_path": "app/0"})
    # Confirm the password while the trail still works, so the reveals below get as far as the record.
    assert CANARY.format(n=0) in web.post(reveal_url, {"version": 1, "password": PASSWORD}).content.decode()
    reveal_budget_reset(user=person)
    audit_rejects_inserts()

    refused = []
    for n in range(REVEALS):
        web_url = reverse("vault:secret-reveal", kwargs={"secret_path": f"app/{n}"})
        for response in (web.post(web_url, {"version": 1}), api.get(f"/v1/secret/data/app/{n}")):
            assert CANARY.format(n=n) not in response.content.decode()
            refused.append(response.status_code)
    assert len(refused) == 2 * REVEALS
    assert set(refused) == {503}, refused
    print(f"{len(refused)} reveals with the audit trail down: statuses {sorted(set(refused))}, 0 with plaintext")
