"""No plaintext at rest: after a secret's life through the web pages and a key rotation through the real
worker, its values appear nowhere in PostgreSQL, either Redis, the Celery messages or the logs."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests import canary
from tests.vault import keys
from tests.vault.test_rotation_ops import rotation_finished
from tests.vault.vault_support import PASSWORD, make_user
from tests.waiting import wait_until
from vault.selectors import kek_census
from vault.services import keyops

FIRST = "canary-atrest-Vq3kP9-first"
SECOND = "canary-atrest-Lm7wX2-second"
NOTES = "canary-atrest-Nt5rB8-notes"
CANARIES = [FIRST, SECOND, NOTES, PASSWORD]


@pytest.fixture
def found():
    return keys.entries("old", "new")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_secrets_values_are_nowhere_at_rest(client, django_user_model, found, celery_worker_thread):
    user = make_user(django_user_model, "atrest@example.test")
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    detail = reverse("vault:secret-detail", kwargs={"secret_path": "prod/api"})
    with canary.every_log_line() as logs, canary.published_messages() as messages:
        with override_settings(VAULT_KEYS=keys.setting(found["old"])):
            signed_in = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
            assert signed_in.status_code == 302
            created = client.post(
                reverse("vault:secret-create"),
                {"path": "prod/api", "field_name": ["token", "user"], "field_value": [FIRST, "svc"], "notes": NOTES},
            )
            assert created.status_code == 302
            edited = client.post(
                reverse("vault:secret-edit", kwargs={"secret_path": "prod/api"}),
                {"cas": 1, "field_name": ["token", "user"], "field_value": [SECOND, "svc"], "notes": NOTES},
            )
            assert edited.status_code == 302
            # A refused write and an error page carry the values in the request: they must not reach a log.
            refused = client.post(
                reverse("vault:secret-edit", kwargs={"secret_path": "prod/api"}),
                {"cas": 1, "field_name": ["token", "token"], "field_value": [FIRST, SECOND], "notes": NOTES},
            )
            assert refused.status_code in (400, 409)
            assert client.get(reverse("vault:secret-diff", kwargs={"secret_path": "prod/api"}), {"a": 1, "b": 2})
            assert client.get(detail).status_code == 200
        with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
            keyops.key_rotation_start(batch_size=1)
            wait_until(rotation_finished("new"), timeout=30)
            assert kek_census() == {"new": 2}
            revealed = client.post(reverse("vault:secret-reveal", kwargs={"secret_path": "prod/api"}), {"version": 1})
            # The canary really went through the vault: it comes back out, from the reveal and nowhere else.
            assert FIRST in revealed.content.decode()

    # The scan really covered each place: messages were sent, SQL was logged, blobs and sessions were read.
    assert messages, "the rotation should have sent Celery messages"
    assert any("vault_secretversion" in line for line in logs), "the SQL should have been logged"
    rows = list(canary.database_rows())
    assert {"vault_secretversion", "accounts_auditevent", "django_session (decoded)"} <= {where for where, _ in rows}
    cached = list(canary.redis_values(settings.CACHES["default"]["LOCATION"]))
    assert cached, "the reveal budget should be in the cache"
    found_at = [(where, hit) for where, value in rows for hit in canary.hits(value, CANARIES)]
    for where, value in cached + list(canary.redis_values(settings.CELERY_BROKER_URL)):
        found_at += [(where, hit) for hit in canary.hits(value, CANARIES)]
    found_at += [("celery message", hit) for body in messages for hit in canary.hits(body, CANARIES)]
    found_at += [("log", hit) for line in logs for hit in canary.hits(line, CANARIES)]
    assert found_at == []


@pytest.mark.django_db
def test_the_scanner_finds_a_planted_canary_in_the_database_the_cache_and_the_logs(person):
    from django.core.cache import cache

    from vault.models import Secret

    Secret.objects.create(owner=person, path="planted", custom_metadata={"oops": FIRST})
    cache.set("planted", {"value": SECOND}, 30)
    with canary.every_log_line() as logs:
        import logging

        logging.getLogger("vault.anything").debug("leaked %s", NOTES)
    try:
        assert FIRST in {hit for _, value in canary.database_rows() for hit in canary.hits(value, [FIRST])}
        cached = canary.redis_values(settings.CACHES["default"]["LOCATION"])
        assert SECOND in {hit for _, value in cached for hit in canary.hits(value, [SECOND])}
        assert any(canary.hits(line, [NOTES]) for line in logs)
    finally:
        cache.delete("planted")


def test_the_scanner_finds_a_canary_in_every_encoding_it_claims():
    import base64

    for pad in range(3):
        hidden = base64.b64encode(b"x" * pad + FIRST.encode()).decode()
        assert canary.hits(f"prefix {hidden} suffix", [FIRST]) == [FIRST]
    assert canary.hits(FIRST.encode().hex(), [FIRST]) == [FIRST]
    assert canary.hits(b"\\x00" + FIRST.encode() + b"\\xff", [FIRST]) == [FIRST]
    assert canary.hits("nothing here", [FIRST]) == []
