"""Import through the pages: preview markers, one-transaction commit, tamper and staleness refusals, audit."""

import json
import os

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from tests.vault.transfer_support import canary_places, commit, stored, upload
from tests.vault.vault_support import counts, make_user
from vault.models import Secret
from vault.services import secret_create, secret_update
from vault.transfer.errors import ImportRowFailed, ImportTooLarge, PreviewInvalid
from vault.transfer.importing import import_commit, import_preview

pytestmark = pytest.mark.django_db

CANARY = "canary-Imp0rt-Q7vLx2-never-stored"
FILE = {
    "prod": {
        "db": {"user": "app", "password": CANARY},
        "api": {"token": "hunter2"},
    },
    "home": {"wifi": {"psk": "a long enough passphrase 42!"}},
}


def test_upload_page_offers_the_formats(signed_in):
    response = signed_in.get(reverse("vault:secret-import"))
    assert response.status_code == 200
    assert "Bitwarden CSV" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_preview_marks_new_existing_and_weak_rows_and_writes_nothing(signed_in, person):
    secret_create(owner=person, path="prod/api", fields={"token": "old"})
    before = counts()
    response = upload(signed_in, json.dumps(FILE))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert {row.path: row.status for row in preview.rows} == {
        "home/wifi": "new",
        "prod/api": "exists",
        "prod/db": "new",
    }
    assert [row.weak for row in preview.rows if row.path == "prod/api"] == [[("token", "common password")]]
    assert preview.committable
    html = response.content.decode()
    assert "exists: new version 2" in html
    assert "weak token: common password" in html
    assert CANARY not in html
    assert "hunter2" not in html
    assert counts() == before


def test_preview_leaves_no_plaintext_in_database_session_or_cache(signed_in):
    response = upload(signed_in, json.dumps(FILE))
    assert response.status_code == 200
    assert CANARY not in response.context["preview"].token
    assert canary_places(CANARY, signed_in.session.session_key) == []
    # The search itself can fail: a value planted in the cache is found.
    cache.set("transfer-probe", {"v": CANARY})
    try:
        assert any("transfer-probe" in place for place in canary_places(CANARY, None))
    finally:
        cache.delete("transfer-probe")


def test_commit_writes_every_row_reports_each_and_audits_once(signed_in, person):
    secret_create(owner=person, path="prod/api", fields={"token": "old"})
    token = upload(signed_in, json.dumps(FILE)).context["preview"].token
    response = commit(signed_in, token)
    assert response.status_code == 200
    assert response.context["report"].rows == [
        ("home/wifi", "home/wifi", "created"),
        ("prod/api", "prod/api", "new version"),
        ("prod/db", "prod/db", "created"),
    ]
    assert stored(person, "prod/db") == ({"user": "app", "password": CANARY}, "")
    assert stored(person, "prod/api") == ({"token": "hunter2"}, "")
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_IMPORT)
    assert event.detail == {"format": "json", "created": 2, "updated": 1, "skipped": 0, "duplicates": 0}
    assert CANARY not in json.dumps([e.detail for e in AuditEvent.objects.all()])


def test_commit_can_skip_existing_secrets(signed_in, person):
    secret_create(owner=person, path="prod/api", fields={"token": "old"})
    token = upload(signed_in, json.dumps(FILE)).context["preview"].token
    report = commit(signed_in, token, skip_existing="on").context["report"]
    assert ("prod/api", "prod/api", "skipped") in report.rows
    assert stored(person, "prod/api") == ({"token": "old"}, "")


def test_duplicate_paths_are_marked_and_only_the_first_is_imported(signed_in, person):
    csv = (
        "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n"
        "f,,login,x,,,0,,u1,Lq8#vN2$pR6!wZ4k,\nf,,login,x,,,0,,u2,Lq8#vN2$pR6!wZ4k,\n"
    )
    preview = upload(signed_in, csv, kind="bitwarden").context["preview"]
    assert [(row.where, row.status) for row in preview.rows] == [("line 2", "new"), ("line 3", "duplicate")]
    assert "same path as line 2 (different values)" in preview.rows[1].reason
    commit(signed_in, preview.token)
    assert stored(person, "f/x")[0]["username"] == "u1"


def test_env_file_becomes_one_secret_at_the_chosen_path(signed_in, person):
    assert upload(signed_in, "A=1\n", kind="env").status_code == 400
    token = upload(signed_in, "export A=1\nB='two'\n", kind="env", env_path="prod/app").context["preview"].token
    commit(signed_in, token)
    assert stored(person, "prod/app") == ({"A": "1", "B": "two"}, "")


@pytest.mark.parametrize(
    ("content", "kind", "status", "words"),
    [
        (b"\x89PNG\x00\x00", "json", 400, "looks binary"),
        (b'{"a": {"b": "\xff"}}', "json", 400, "not valid UTF-8"),
        (b'{"a": {"b": "c"}', "json", 400, "Not valid JSON"),
        (b"name,password\nx,y\n", "bitwarden", 400, "not a Bitwarden CSV"),
        (json.dumps({f"s{i}": {"k": "v"} for i in range(6)}).encode(), "json", 400, "more than 5 secrets"),
        (b"x" * 2000, "json", 413, "larger than 1000 bytes"),
    ],
)
def test_malformed_files_get_a_clear_refusal_and_change_nothing(signed_in, settings, content, kind, status, words):
    settings.VAULT_IMPORT_MAX_BYTES, settings.VAULT_IMPORT_MAX_ROWS = 1000, 5
    before = counts()
    response = upload(signed_in, content, kind=kind)
    assert response.status_code == status
    assert words in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"a": {"../b": {"k": "v"}}}, "path"),
        ('{"a": {"k": "1", "k": "2"}}', "used twice"),
        ({"a": {"k": "v" * 70_000}}, "over the limit of 65536 bytes"),
    ],
)
def test_invalid_rows_are_shown_and_block_the_commit(signed_in, document, words):
    before = counts()
    text = document if isinstance(document, str) else json.dumps(document)
    response = upload(signed_in, text)
    assert response.status_code == 400
    preview = response.context["preview"]
    assert not preview.committable
    assert any(row.status == "invalid" and words in row.reason for row in preview.rows)
    assert 'data-testid="import-blocked"' in response.content.decode()
    assert counts() == before


def test_tampered_or_foreign_preview_is_refused_and_writes_nothing(signed_in, person, client, django_user_model):
    token = upload(signed_in, json.dumps(FILE)).context["preview"].token
    expires, wrapped, ciphertext = token.split(".")
    flipped = ciphertext[:-6] + ("A" if ciphertext[-6] != "A" else "B") + ciphertext[-5:]
    before = counts()
    for bad in [f"{expires}.{wrapped}.{flipped}", f"{int(expires) + 3600}.{wrapped}.{ciphertext}", "garbage"]:
        response = commit(signed_in, bad)
        assert response.status_code == 400
        assert "upload the file again" in response.content.decode()
    intruder = make_user(django_user_model, "intruder@example.test")
    with pytest.raises(PreviewInvalid, match="not yours"):
        import_commit(user=intruder, token=token)
    assert counts() == before


def test_commit_is_refused_when_the_vault_changed_since_the_preview(signed_in, person):
    secret_create(owner=person, path="prod/api", fields={"token": "old"})
    token = upload(signed_in, json.dumps(FILE)).context["preview"].token
    secret_update(owner=person, path="prod/api", fields={"token": "changed meanwhile"})
    before = Secret.objects.count()
    response = commit(signed_in, token)
    assert response.status_code == 409
    assert "changed since the preview" in response.content.decode()
    assert Secret.objects.count() == before
    assert stored(person, "prod/api") == ({"token": "changed meanwhile"}, "")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_IMPORT).get()
    assert event.outcome == AuditEvent.Outcome.FAILURE


def test_a_committed_preview_cannot_be_replayed(signed_in):
    token = upload(signed_in, json.dumps(FILE)).context["preview"].token
    assert commit(signed_in, token).status_code == 200
    assert commit(signed_in, token).status_code == 409


def test_one_failing_row_at_commit_writes_nothing_and_names_the_row(person, settings):
    settings.VAULT_MAX_SECRET_BYTES = 100_000
    document = {"a": {"k": "v"}, "b": {"k": "v" * 500}, "c": {"k": "v"}}
    preview = import_preview(user=person, data=json.dumps(document).encode(), kind="json")
    settings.VAULT_MAX_SECRET_BYTES = 100  # the vault's limit changed between preview and commit
    before = counts()
    with pytest.raises(ImportRowFailed, match="over the limit") as caught:
        import_commit(user=person, token=preview.token)
    assert (caught.value.where, caught.value.path) == ("b", "b")
    secrets, versions, events = counts()
    assert (secrets, versions) == before[:2]
    assert events == before[2] + 1  # only the failure record
    assert not Secret.objects.filter(owner=person, path="a").exists()


def test_failing_row_page_says_nothing_was_written(signed_in, settings):
    settings.VAULT_MAX_SECRET_BYTES = 100_000
    token = upload(signed_in, json.dumps({"a": {"k": "v" * 500}})).context["preview"].token
    settings.VAULT_MAX_SECRET_BYTES = 100
    response = commit(signed_in, token)
    assert response.status_code == 413
    assert "No secret was written or changed" in response.content.decode()


def test_a_file_near_the_size_limit_fits_through_preview_and_commit(signed_in, person):
    values = [os.urandom(300).hex() for _ in range(1000)]
    document = {"bulk": {f"s{i:04}": {"key": value} for i, value in enumerate(values)}}
    text = json.dumps(document)
    assert 600_000 < len(text) < 1024 * 1024
    response = upload(signed_in, text)
    assert response.status_code == 200
    assert commit(signed_in, response.context["preview"].token).status_code == 200
    assert Secret.objects.filter(owner=person, path__startswith="bulk/").count() == 1000
    assert stored(person, "bulk/s0999") == ({"key": values[999]}, "")


def test_import_posts_still_need_the_csrf_token(person):
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    assert upload(client, json.dumps(FILE)).status_code == 403
    assert commit(client, "x").status_code == 403
    assert not Secret.objects.filter(owner=person).exists()


def test_the_service_refuses_oversize_data_too(person, settings):
    settings.VAULT_IMPORT_MAX_BYTES = 10
    with pytest.raises(ImportTooLarge):
        import_preview(user=person, data=b'{"a": {"b": "cdefgh"}}', kind="json")
