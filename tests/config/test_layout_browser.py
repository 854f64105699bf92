"""The base layout in a real browser: styles load offline, sign-in works, staff reach the status page."""

import pytest
from playwright.sync_api import expect

from tests.browser import sign_in
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        email="ops@example.test", password=PASSWORD, is_staff=True, display_name="Ops"
    )


def test_home_page_uses_our_own_stylesheet_with_no_console_errors(page):
    page.goto("/")
    assert page.title() == "Home · Keyhold"
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    # The stylesheet is ours and served locally: its background colour is applied.
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background in {"rgb(247, 248, 250)", "rgb(13, 17, 23)"}
    # CSP violations and missing files both show up as console errors.
    assert page.console_errors == []


def test_skip_link_is_the_first_focusable_element(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"


def test_wrong_password_shows_an_error_and_stays_signed_out(page, staff):
    sign_in(page, staff.email, "not the password at all")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("correct email address and password")
    expect(page.get_by_role("link", name="Status")).to_have_count(0)


def test_staff_signs_in_sends_a_heartbeat_and_sees_it_arrive(page, staff, celery_worker_thread, mongo_db):
    sign_in(page, staff.email, PASSWORD)
    page.get_by_role("link", name="Status").click()
    expect(page.get_by_role("heading", name="System status")).to_be_visible()
    expect(page.get_by_test_id("heartbeat-none")).to_be_visible()

    page.get_by_role("button", name="Send a heartbeat now").click()
    expect(page.get_by_role("status")).to_contain_text("Heartbeat queued")

    def heartbeat_shown():
        page.reload()
        return page.get_by_test_id("heartbeat-worker").count() == 1

    wait_until(heartbeat_shown, timeout=15, interval=0.5)
    assert page.get_by_test_id("heartbeat-worker").inner_text()
    assert page.console_errors == []

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    expect(page.get_by_role("link", name="Status")).to_have_count(0)
