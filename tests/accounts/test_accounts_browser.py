"""The account pages in headless Chromium: sign-up to verification, remember-me, sessions, reset, lockout."""

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.accounts.account_support import NEW_PASSWORD, PASSWORD, last_link
from tests.browser import screenshot
from tests.browser import sign_in as browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        email="erin@example.test", password=PASSWORD, display_name="Erin", email_verified_at=timezone.now()
    )


def sign_in(page, email, password=PASSWORD, *, remember=False):
    browser_sign_in(page, email, password, remember=remember)


def session_cookie(context):
    return next(c for c in context.cookies() if c["name"] == "sessionid")


def test_sign_up_verify_and_sign_in(page, live_server):
    mail.outbox.clear()
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("frank@example.test")
    page.get_by_label("Display name").fill("Frank")
    page.get_by_label("Password", exact=True).fill("short")
    expect(page.get_by_text("Very weak")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(PASSWORD + " on a quiet river")
    assert page.locator(".strength").get_attribute("data-level") in {"3", "4"}
    page.get_by_label("Password again").fill(PASSWORD + " on a quiet river")
    screenshot(page, "accounts-signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_test_id("signup-sent")).to_be_visible()
    screenshot(page, "accounts-signup-sent")

    sign_in(page, "frank@example.test", PASSWORD + " on a quiet river")
    expect(page.get_by_test_id("verify-banner")).to_be_visible()
    screenshot(page, "accounts-unverified-banner")
    page.goto(last_link("frank@example.test").replace("http://testserver", live_server.url))
    expect(page.get_by_role("status")).to_contain_text("Your email address is verified")
    expect(page.get_by_test_id("verify-banner")).to_have_count(0)
    assert page.console_errors == []


def test_login_without_remember_me_is_a_browser_session(page, user):
    sign_in(page, user.email)
    cookie = session_cookie(page.context)
    assert cookie["expires"] == -1, "no expiry: the cookie ends with the browser"


def test_login_with_remember_me_lasts_thirty_days(page, user):
    shot_page = page
    page.goto("/accounts/login/")
    screenshot(shot_page, "accounts-login")
    sign_in(page, user.email, remember=True)
    cookie = session_cookie(page.context)
    days = (cookie["expires"] - timezone.now().timestamp()) / 86400
    assert 29.9 < days <= 30


def test_revoking_a_session_from_another_browser_signs_it_out(page, browser, live_server, user):
    other = browser.new_context(base_url=live_server.url, user_agent="OtherDevice/9")
    try:
        other_page = other.new_page()
        sign_in(other_page, user.email)
        sign_in(page, user.email)
        page.get_by_text(user.get_short_name()).click()
        page.get_by_role("link", name="Sessions").click()
        row = page.locator("tr", has_text="OtherDevice/9")
        expect(row).to_be_visible()
        screenshot(page, "accounts-sessions")
        row.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_contain_text("The session was signed out")
        other_page.goto("/accounts/sessions/")
        assert other_page.url.startswith(f"{live_server.url}/accounts/login/")
    finally:
        other.close()


def test_password_change_ends_the_other_browser(page, browser, live_server, user):
    other = browser.new_context(base_url=live_server.url)
    try:
        other_page = other.new_page()
        sign_in(other_page, user.email)
        sign_in(page, user.email)
        page.goto("/accounts/password/")
        page.get_by_label("Old password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        screenshot(page, "accounts-password-change")
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_contain_text("Password changed. 1 other session(s)")
        other_page.goto("/accounts/sessions/")
        assert other_page.url.startswith(f"{live_server.url}/accounts/login/")
    finally:
        other.close()


def test_password_reset_by_mail(page, live_server, user):
    mail.outbox.clear()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_test_id("reset-sent")).to_be_visible()
    page.goto(last_link(user.email).replace("http://testserver", live_server.url))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    screenshot(page, "accounts-password-reset")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password was reset")
    sign_in(page, user.email, NEW_PASSWORD)
    page.goto("/accounts/activity/")
    expect(page.get_by_test_id("activity-table")).to_be_visible()
    screenshot(page, "accounts-activity")


def test_five_failures_lock_the_account_with_a_clear_429_page(page, user):
    for i in range(4):
        sign_in(page, user.email, f"wrong password {i}")
        expect(page.get_by_role("alert")).to_contain_text("correct email address and password")
    response_status = []
    page.on("response", lambda r: r.url.endswith("/accounts/login/") and response_status.append(r.status))
    sign_in(page, user.email, "wrong password 5")
    sign_in(page, user.email)
    assert response_status[-1] == 429
    expect(page.get_by_test_id("locked")).to_contain_text("Too many failed sign-in attempts")
    screenshot(page, "accounts-lockout")
