"""Share links in real browsers: the owner makes a link, a signed-out recipient opens it once, WebCrypto decrypts."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import page_in_new_context, screenshot, sign_in
from tests.vault.share_support import CANARY, NOTES, clear_share_throttle
from vault.models import ShareLink
from vault.services import secret_create
from vault.services.budget import reveal_budget_reset

__all__ = ["clear_share_throttle"]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clear_share_throttle"),
]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def person(django_user_model):
    user = django_user_model.objects.create_user(
        email="sharer@example.test", password=PASSWORD, display_name="Sam", email_verified_at=timezone.now()
    )
    reveal_budget_reset(user=user)
    secret_create(owner=user, path="prod/db/main", fields={"user": "app", "password": CANARY}, notes=NOTES)
    yield user
    reveal_budget_reset(user=user)


@pytest.fixture
def recipient(browser, live_server):
    """A second browser context: nobody is signed in there, as for the person the link is sent to."""
    with page_in_new_context(browser, live_server.url, timeout_ms=15_000) as page:
        yield page


def create_link(page, *, views: str = "1", passphrase: str = "") -> str:
    page.get_by_role("link", name="Secrets").click()
    page.get_by_role("link", name="prod/db/main").click()
    page.get_by_role("link", name="Share", exact=True).click()
    page.get_by_label("Expires after").select_option(label="1 day")
    page.get_by_label("Views allowed").fill(views)
    if passphrase:
        page.get_by_label("Passphrase (optional)").fill(passphrase)
        page.get_by_label("Passphrase again").fill(passphrase)
    screenshot(page, "share-form")
    page.get_by_role("button", name="Create share link").click()
    return page.get_by_test_id("share-link").input_value()


def test_owner_shares_and_a_signed_out_recipient_opens_it_once(page, recipient, person):
    sign_in(page, person.email, PASSWORD)
    page.get_by_role("button", name="Sign out").wait_for()
    link = create_link(page)
    assert "/share/" in link
    assert "#" in link
    assert CANARY not in page.content()
    screenshot(page, "share-created")

    recipient.goto(link)
    expect(recipient.get_by_test_id("share-terms")).to_contain_text("opens only once")
    screenshot(recipient, "share-open-before")
    recipient.get_by_role("button", name="Open the secret").click()
    # Decrypted by share-open.js with WebCrypto from what Python sealed.
    assert recipient.get_by_label("Value of password").input_value() == CANARY
    assert recipient.get_by_label("Value of user").input_value() == "app"
    assert recipient.locator("#share-notes").inner_text() == NOTES
    expect(recipient.locator("#share-views-left")).to_contain_text("last view")
    assert "#" not in recipient.url
    screenshot(recipient, "share-open")
    assert recipient.console_errors == []

    recipient.goto(link)
    expect(recipient.get_by_test_id("share-error")).to_contain_text("used up")
    screenshot(recipient, "share-used-up")

    page.goto("/secrets/shares/")
    row = page.get_by_test_id("share-table").locator("tbody tr").first
    expect(row).to_contain_text("used up")
    expect(row).to_contain_text("1 / 1")
    screenshot(page, "share-list")
    share = ShareLink.objects.get()
    assert (share.views, share.ciphertext) == (1, None)


def test_a_passphrase_link_refuses_a_wrong_passphrase_and_the_owner_revokes_it(page, recipient, person):
    sign_in(page, person.email, PASSWORD)
    page.get_by_role("button", name="Sign out").wait_for()
    link = create_link(page, views="3", passphrase="open sesame 42")

    recipient.goto(link)
    expect(recipient.get_by_test_id("share-terms")).to_contain_text("one of its 3 views (0 used so far)")
    recipient.get_by_label("Passphrase").fill("open sesame 41")
    recipient.get_by_role("button", name="Open the secret").click()
    expect(recipient.get_by_test_id("share-message")).to_have_text("Wrong passphrase or damaged link.")
    screenshot(recipient, "share-wrong-passphrase")
    recipient.get_by_label("Passphrase").fill("open sesame 42")
    recipient.get_by_role("button", name="Open the secret").click()
    assert recipient.get_by_label("Value of password").input_value() == CANARY
    expect(recipient.locator("#share-views-left")).to_contain_text("2 more times")
    # The refused try answers 403, which Chromium logs; nothing else may show up.
    assert [e for e in recipient.console_errors if "403 (Forbidden)" not in e] == []

    page.goto("/secrets/shares/")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_test_id("share-table")).to_contain_text("revoked")
    recipient.goto(link)
    expect(recipient.get_by_test_id("share-error")).to_contain_text("revoked")


def test_a_link_without_its_fragment_says_it_is_incomplete(page, recipient, person):
    sign_in(page, person.email, PASSWORD)
    page.get_by_role("button", name="Sign out").wait_for()
    link = create_link(page)
    recipient.goto(link.split("#")[0])
    expect(recipient.get_by_test_id("share-message")).to_contain_text("incomplete")
    expect(recipient.get_by_role("button", name="Open the secret")).to_be_disabled()
    screenshot(recipient, "share-incomplete")
    assert ShareLink.objects.get().views == 0
