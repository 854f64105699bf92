"""The vault's management pages in a real browser: generator, save, restore, diff, move, trash, delete."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import screenshot
from tests.browser import sign_in as browser_sign_in
from vault.models import Secret
from vault.services import secret_update
from vault.services.budget import reveal_budget_reset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
CANARY = "canary-browser-manage-Qw7Lp3"


@pytest.fixture
def person(django_user_model):
    user = django_user_model.objects.create_user(
        email="manage@example.test", password=PASSWORD, display_name="Max", email_verified_at=timezone.now()
    )
    reveal_budget_reset(user=user)
    yield user
    reveal_budget_reset(user=user)


def sign_in(page, person) -> None:
    browser_sign_in(page, person.email, PASSWORD)
    page.get_by_role("button", name="Sign out").wait_for()


def generate_into(page, row: int) -> str:
    """Press the row's Generate button and return the value it filled in."""
    field = page.get_by_label(f"Field value {row + 1}", exact=True)
    field.fill("")
    page.locator(".secret-field-row").nth(row).get_by_role("button", name="Generate").click()
    page.wait_for_function(
        "id => document.getElementById(id).value.length > 0", arg=field.get_attribute("id"), timeout=5_000
    )
    return field.input_value()


def test_generate_save_restore_diff_move_trash_and_delete(page, live_server, person):
    sign_in(page, person)

    page.goto(reverse("vault:secret-create"))
    page.get_by_label("Path").fill("app/api")
    page.get_by_label("Field name 1", exact=True).fill("token")
    page.get_by_label("Length", exact=True).fill("37")
    page.get_by_label("Symbols").uncheck()
    token = generate_into(page, 0)
    assert len(token) == 37
    assert re.fullmatch(r"[A-Za-z0-9]{37}", token)
    assert re.search(r"^\d+ bits of entropy", page.get_by_test_id("generator-strength").inner_text())
    # 37 characters from 62: about 220 bits.
    assert page.get_by_test_id("password-generator").get_attribute("data-bits") == "220"

    page.get_by_label("Field name 2", exact=True).fill("phrase")
    page.get_by_label("Kind").select_option("words")
    page.get_by_label("Words", exact=True).fill("5")
    phrase = generate_into(page, 1)
    assert len(phrase.split("-")) == 5
    assert all(word.isalpha() and word.islower() for word in phrase.split("-"))
    expect(page.get_by_test_id("generator-strength")).to_contain_text("bits of entropy")
    screenshot(page, "vault-generator")
    page.get_by_role("button", name="Save secret").click()

    expect(page.get_by_test_id("field-names")).to_contain_text("token")
    assert token not in page.content()
    page.get_by_role("button", name="Reveal values").click()
    assert page.get_by_label("Value of token").input_value() == token
    assert page.get_by_label("Value of phrase").input_value() == phrase
    page.get_by_role("link", name="Hide values").click()

    # A second version changes the token and adds a field; restoring version 1 makes version 3.
    secret_update(owner=person, path="app/api", fields={"token": CANARY, "phrase": phrase, "host": "h"}, cas=1)
    page.reload()
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_role("status").first).to_contain_text("Version 1 restored as version 3")
    assert Secret.objects.get(owner=person, path="app/api").current_version == 3
    screenshot(page, "vault-restore")

    page.get_by_label("From version").select_option("1")
    page.get_by_label("To version").select_option("2")
    page.get_by_role("button", name="Compare field names").click()
    assert page.get_by_test_id("diff-added").inner_text() == "host"
    assert page.get_by_test_id("diff-changed").inner_text() == "token"
    assert page.get_by_test_id("diff-removed").inner_text() == "none"
    content = page.content()
    assert CANARY not in content
    assert token not in content
    assert phrase not in content
    screenshot(page, "vault-diff")
    page.get_by_role("link", name="Back to the secret").click()

    page.get_by_label("New path").fill("app/api-renamed")
    page.get_by_role("button", name="Move", exact=True).click()
    page.wait_for_url(f"**{reverse('vault:secret-detail', kwargs={'secret_path': 'app/api-renamed'})}")
    expect(page.get_by_test_id("version-table").locator("tbody tr")).to_have_count(3)
    screenshot(page, "vault-move")

    page.get_by_role("button", name="Delete version 2").click()
    page.get_by_role("link", name="Trash").click()
    row = page.get_by_test_id("trash-table").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("app/api-renamed")
    screenshot(page, "vault-trash")
    page.get_by_role("button", name="Undelete app/api-renamed version 2").click()
    page.get_by_test_id("trash-empty").wait_for()

    page.goto(reverse("vault:secret-detail", kwargs={"secret_path": "app/api-renamed"}))
    page.get_by_role("link", name="Delete secret").click()
    screenshot(page, "vault-delete")
    page.get_by_role("button", name="Delete the secret for good").click()
    page.get_by_test_id("secret-empty").wait_for()
    assert not Secret.objects.filter(owner=person).exists()
    assert page.console_errors == []
