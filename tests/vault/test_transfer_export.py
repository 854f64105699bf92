"""Export through the page and the decrypt command: password required, scope, audit, and round trips."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import AuditEvent
from tests.vault.transfer_support import stored
from tests.vault.vault_support import PASSWORD, make_user
from vault.services import secret_create, secret_update, secret_versions_delete
from vault.transfer.importing import import_commit, import_preview

pytestmark = pytest.mark.django_db

CANARY = "canary-Exp0rt-9dRw-value"
OTHER_CANARY = "canary-other-user-Zz81"
PASSPHRASE = "a long export passphrase"


@pytest.fixture
def vault(person, django_user_model):
    secret_create(owner=person, path="prod/db/main", fields={"user": "app", "password": CANARY}, notes="primary")
    secret_create(owner=person, path="prod/api", fields={"token": "t0k-3n"})
    secret_create(owner=person, path="home/wifi", fields={"psk": "wifi pass"})
    secret_create(owner=person, path="old/gone", fields={"k": "v"})
    secret_update(owner=person, path="old/gone", fields={"k": "v2"})
    secret_versions_delete(owner=person, path="old/gone", versions=[2])
    secret_create(owner=make_user(django_user_model, "o@example.test"), path="prod/x", fields={"k": OTHER_CANARY})
    return person


def export(client, **fields):
    data = {"fmt": "json", "encryption": "passphrase", "password": PASSWORD, **fields}
    return client.post(reverse("vault:secret-export"), data)


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_EXPORT).order_by("id"))


def test_export_page_asks_for_the_password(signed_in):
    response = signed_in.get(reverse("vault:secret-export"))
    assert response.status_code == 200
    assert "Your account password" in response.content.decode()


def test_export_with_a_wrong_or_missing_password_is_refused_and_audited(signed_in, vault):
    response = export(signed_in, encryption="none", plaintext_ok="on", password="wrong password")
    assert response.status_code == 400
    assert "That password is not right" in response.content.decode()
    assert CANARY not in response.content.decode()
    assert export(signed_in, encryption="none", plaintext_ok="on", password="").status_code == 400
    [event] = exports()
    assert (event.outcome, event.detail["reason"]) == (AuditEvent.Outcome.DENIED, "wrong password")


def test_wrong_export_passwords_share_the_reveal_confirmation_lockout(signed_in, vault):
    from accounts.services.limits import REVEAL_CONFIRM

    for attempt in range(REVEAL_CONFIRM.attempts - 1):
        assert (
            export(
                signed_in, password=f"guess {attempt}", passphrase=PASSPHRASE, passphrase_again=PASSPHRASE
            ).status_code
            == 400
        )
    locking = export(signed_in, password="last guess", passphrase=PASSPHRASE, passphrase_again=PASSPHRASE)
    assert locking.status_code == 429
    refused = export(signed_in, password=PASSWORD, passphrase=PASSPHRASE, passphrase_again=PASSPHRASE)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= REVEAL_CONFIRM.lockout
    assert "Too many wrong passwords" in refused.content.decode()
    assert CANARY not in refused.content.decode()
    reasons = [event.detail["reason"] for event in exports()]
    assert reasons == ["wrong password"] * REVEAL_CONFIRM.attempts + ["password locked"]


def test_plaintext_export_needs_the_explicit_warning_ticked(signed_in, vault):
    response = export(signed_in, encryption="none")
    assert response.status_code == 400
    assert "Tick this to export without encryption" in response.content.decode()
    assert exports() == []


def test_plaintext_json_export_is_a_no_store_download_of_own_current_versions(signed_in, vault):
    response = export(signed_in, encryption="none", plaintext_ok="on")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="keyhold-export-')
    assert "no-store" in response["Cache-Control"]
    document = json.loads(response.content)
    assert document["prod"]["db"]["main"] == {"user": "app", "password": CANARY, "#notes": "primary"}
    assert "gone" not in document.get("old", {})  # its current version is deleted
    assert OTHER_CANARY not in response.content.decode()
    [event] = exports()
    assert event.detail == {"scope": "(all)", "format": "json", "encryption": "none", "count": 3}
    assert CANARY not in json.dumps(event.detail)


def test_env_export_of_a_folder_uses_relative_names(signed_in, vault):
    response = export(signed_in, folder="prod/", fmt="env", encryption="none", plaintext_ok="on")
    text = response.content.decode()
    assert f'DB_MAIN_PASSWORD="{CANARY}"' in text
    assert 'API_TOKEN="t0k-3n"' in text
    assert "wifi" not in text
    assert exports()[0].detail["scope"] == "prod/"


def test_passphrase_export_round_trips_through_the_decrypt_command_and_import(signed_in, vault, tmp_path, settings):
    response = export(signed_in, passphrase=PASSPHRASE, passphrase_again=PASSPHRASE)
    assert response.status_code == 200
    assert CANARY.encode() not in response.content
    (tmp_path / "export.keyhold").write_bytes(response.content)
    (tmp_path / "pass").write_text(PASSPHRASE + "\n")
    out = tmp_path / "plain.json"
    call_command("vault_export_decrypt", str(tmp_path / "export.keyhold"), "--passphrase-file", str(tmp_path / "pass"),
                 "--output", str(out))  # fmt: skip
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    (tmp_path / "wrong").write_text("not the passphrase\n")
    with pytest.raises(CommandError, match="Wrong passphrase"):
        call_command(
            "vault_export_decrypt", str(tmp_path / "export.keyhold"), "--passphrase-file", str(tmp_path / "wrong")
        )
    assert_imports_back(out.read_bytes(), vault)


def test_recipient_export_round_trips_and_refuses_another_identity(signed_in, vault, tmp_path):
    stdout = io.StringIO()
    call_command("vault_export_keygen", str(tmp_path / "me.identity"), stdout=stdout, stderr=io.StringIO())
    public = stdout.getvalue().strip()
    assert public.startswith("keyhold-x25519:")
    assert oct((tmp_path / "me.identity").stat().st_mode & 0o777) == "0o600"
    call_command("vault_export_keygen", str(tmp_path / "other.identity"), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="exists"):
        call_command("vault_export_keygen", str(tmp_path / "me.identity"), stdout=io.StringIO())

    response = export(signed_in, encryption="recipient", recipient=public)
    assert response.status_code == 200
    exported = tmp_path / "export.keyhold"
    exported.write_bytes(response.content)
    out = tmp_path / "plain.json"
    call_command("vault_export_decrypt", str(exported), "--identity", str(tmp_path / "me.identity"), "-o", str(out))
    with pytest.raises(CommandError, match="not to this identity"):
        call_command("vault_export_decrypt", str(exported), "--identity", str(tmp_path / "other.identity"))
    tampered = json.loads(response.content)
    tampered["ciphertext"] = tampered["ciphertext"][:-8] + "AAAAAAA="
    exported.write_text(json.dumps(tampered))
    with pytest.raises(CommandError, match="modified"):
        call_command("vault_export_decrypt", str(exported), "--identity", str(tmp_path / "me.identity"))
    assert_imports_back(out.read_bytes(), vault)
    assert exports()[0].detail["encryption"] == "recipient"


def test_export_refuses_an_unusable_recipient_key_and_a_short_passphrase(signed_in, vault):
    response = export(signed_in, encryption="recipient", recipient="age1notours")
    assert "not a Keyhold public key" in response.content.decode()
    response = export(signed_in, passphrase="short", passphrase_again="short")
    assert "at least 12 characters" in response.content.decode()
    assert exports() == []


def assert_imports_back(plaintext: bytes, original) -> None:
    """Importing the decrypted export into a fresh account gives the same paths, fields and notes."""
    copy = make_user(get_user_model(), "copy@example.test")
    preview = import_preview(user=copy, data=plaintext, kind="json")
    import_commit(user=copy, token=preview.token)
    paths = sorted(original.secrets.exclude(path="old/gone").values_list("path", flat=True))
    assert sorted(copy.secrets.values_list("path", flat=True)) == paths
    for path in paths:
        assert stored(copy, path) == stored(original, path)
