"""The vault in a real browser: create, a detail page without values, reveal, and a stale edit refused."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import screenshot, sign_in
from vault.services import secret_update
from vault.services.budget import reveal_budget_reset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
CANARY = "canary-browser-7Hk2pQ"


@pytest.fixture
def person(django_user_model):
    user = django_user_model.objects.create_user(
        email="vault@example.test", password=PASSWORD, display_name="Val", email_verified_at=timezone.now()
    )
    reveal_budget_reset(user=user)
    yield user
    reveal_budget_reset(user=user)


def test_create_reveal_and_stale_edit(page, live_server, person):
    sign_in(page, person.email, PASSWORD)
    page.get_by_role("button", name="Sign out").wait_for()

    page.get_by_role("link", name="Secrets").click()
    expect(page.get_by_test_id("secret-empty")).to_be_visible()
    page.get_by_test_id("secret-empty").get_by_role("link", name="New secret").click()
    page.get_by_label("Path").fill("prod/db/main")
    page.get_by_label("Field name 1").fill("user")
    page.get_by_label("Field value 1").fill("app")
    page.get_by_label("Field name 2").fill("password")
    page.get_by_label("Field value 2").fill(CANARY)
    page.get_by_role("button", name="Add field").click()
    expect(page.locator('input[name="field_name"]')).to_have_count(4)
    page.get_by_label("Tags").fill("db, prod")
    screenshot(page, "vault-create")
    page.get_by_role("button", name="Save secret").click()

    expect(page.get_by_test_id("field-names")).to_contain_text("password")
    assert CANARY not in page.content()
    screenshot(page, "vault-detail")

    page.get_by_role("button", name="Reveal values").click()
    page.get_by_role("button", name="Copy password").wait_for()
    assert page.get_by_label("Value of password").input_value() == CANARY
    screenshot(page, "vault-reveal")

    page.get_by_role("link", name="Hide values").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_role("button", name="Reveal values to edit").click()
    page.locator('textarea[name="field_value"]').first.wait_for()
    names = [row.input_value() for row in page.locator('input[name="field_name"]').all()]
    value = page.locator('textarea[name="field_value"]').nth(names.index("password"))
    assert value.input_value() == CANARY
    # Someone else saves while this page is open.
    secret_update(owner=person, path="prod/db/main", fields={"password": "theirs"}, cas=1)
    value.fill("mine")
    page.get_by_role("button", name="Save new version").click()
    expect(page.get_by_role("alert")).to_contain_text("changed since you loaded it")
    screenshot(page, "vault-stale-edit")
    assert person.secrets.get(path="prod/db/main").current_version == 2
    # The refused save answers 409, which Chromium logs; nothing else may show up.
    assert [e for e in page.console_errors if "409 (Conflict)" not in e] == []
