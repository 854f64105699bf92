"""Import and export in a real browser: upload, a preview with its markers, commit, the report, the export page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import screenshot, sign_in
from tests.vault.transfer_support import stored
from vault.services import secret_create
from vault.services.budget import reveal_budget_reset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
CANARY = "canary-browser-import-Vb4Nq8"
CSV = (
    "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n"
    f"Work,1,login,GitLab,,,0,https://gitlab.example,alice,{CANARY},\n"
    ",,login,Mail,,,0,,bob@example.test,password,\n"
    "Work,,login,GitLab,,,0,https://gitlab.example,alice2,Another#Strong9Value,\n"
    ',,login,Router,"admin panel",,0,http://192.168.1.1,admin,Xq7#pL2$wN9!vK4m,\n'
)


@pytest.fixture
def person(django_user_model):
    user = django_user_model.objects.create_user(
        email="transfer@example.test", password=PASSWORD, display_name="Tia", email_verified_at=timezone.now()
    )
    reveal_budget_reset(user=user)
    yield user
    reveal_budget_reset(user=user)


def test_import_preview_commit_report_and_export_page(page, live_server, person):
    secret_create(owner=person, path="Router", fields={"password": "old value"})
    sign_in(page, person.email, PASSWORD)
    page.get_by_role("button", name="Sign out").wait_for()

    page.get_by_role("link", name="Secrets").click()
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_label("Path for a .env file")).to_be_hidden()
    page.get_by_label(".env (one secret").check()
    expect(page.get_by_label("Path for a .env file")).to_be_visible()
    page.get_by_label("Bitwarden CSV").check()
    page.get_by_label("File to import").set_input_files(
        {"name": "bitwarden_export.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    screenshot(page, "vault-import-upload")
    page.get_by_role("button", name="Preview").click()

    table = page.get_by_test_id("import-preview")
    table.wait_for()
    statuses = [row.get_attribute("data-status") for row in table.locator("tbody tr").all()]
    assert statuses == ["new", "new", "duplicate", "exists"]
    expect(table).to_contain_text("exists: new version 2")
    expect(table).to_contain_text("same path as line 2 (different values)")
    expect(page.get_by_test_id("weak")).to_contain_text("weak password: common password")
    assert CANARY not in page.content()
    screenshot(page, "vault-import-preview")

    page.get_by_role("button", name="Import").click()
    report = page.get_by_test_id("import-report")
    report.wait_for()
    expect(page.get_by_test_id("import-counts")).to_contain_text("created: 2")
    expect(page.get_by_test_id("import-counts")).to_contain_text("new version: 1")
    screenshot(page, "vault-import-report")
    assert stored(person, "Work/GitLab")[0]["password"] == CANARY
    assert stored(person, "Router") == (
        {"username": "admin", "password": "Xq7#pL2$wN9!vK4m", "uri": "http://192.168.1.1"},
        "admin panel",
    )

    report.get_by_role("link", name="Work/GitLab").click()
    expect(page.get_by_test_id("field-names")).to_contain_text("password")
    page.get_by_role("link", name="Secrets", exact=True).click()
    page.get_by_role("link", name="Export").click()
    page.get_by_test_id("export-form").wait_for()
    expect(page.get_by_label("Passphrase", exact=True)).to_be_visible()
    expect(page.get_by_label("Recipient public key")).to_be_hidden()
    page.get_by_label("A public key").check()
    expect(page.get_by_label("Recipient public key")).to_be_visible()
    expect(page.get_by_label("Passphrase", exact=True)).to_be_hidden()
    page.get_by_label("A passphrase").check()
    screenshot(page, "vault-export")
    with page.expect_download() as download:
        page.get_by_label("Passphrase", exact=True).fill("a long export passphrase")
        page.get_by_label("Passphrase again").fill("a long export passphrase")
        page.get_by_label("Your account password").fill(PASSWORD)
        page.get_by_role("button", name="Download export").click()
    assert download.value.suggested_filename.endswith(".json.keyhold")
    assert page.console_errors == []


def test_a_file_with_invalid_rows_shows_them_and_offers_no_import(page, live_server, person):
    sign_in(page, person.email, PASSWORD)
    page.get_by_role("button", name="Sign out").wait_for()
    page.goto("/secrets/import/")
    document = '{"ok": {"user": "u"}, "bad": {"k": null}, "../up": {"k": "v"}}'
    page.get_by_label("File to import").set_input_files(
        {"name": "broken.json", "mimeType": "application/json", "buffer": document.encode()}
    )
    page.get_by_role("button", name="Preview").click()
    page.get_by_test_id("import-blocked").wait_for()
    statuses = [row.get_attribute("data-status") for row in page.locator("tbody tr").all()]
    assert statuses == ["invalid", "invalid", "new"]  # "../up", "bad", "ok": JSON rows in path order
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    screenshot(page, "vault-import-invalid")
    assert not person.secrets.exists()
