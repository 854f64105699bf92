"""Two-factor in a real browser: enrol from the QR page, sign in with a TOTP code or a recovery code, replay refused."""

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from tests.accounts.twofactor_support import (
    PASSWORD,
    away_from_step_boundary,
    code_at,
    enrol,
    pending_login_session,
)
from tests.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user(
        email="totp@example.test", password=PASSWORD, display_name="Tess", email_verified_at=timezone.now()
    )


def sign_in_with_password(page, email: str) -> None:
    sign_in(page, email, PASSWORD)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.wait_for()


def enter_code(page, code: str) -> None:
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Verify").click()


def test_enrol_sign_out_and_sign_in_with_totp_then_recovery_code(page, person):
    sign_in_with_password(page, person.email)
    page.goto("/accounts/2fa/")
    expect(page.get_by_test_id("twofactor-status")).to_contain_text("is off")
    page.get_by_role("button", name="Set up two-factor").click()

    qr = page.get_by_test_id("totp-qr")
    assert qr.evaluate("image => image.complete && image.naturalWidth > 100")
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    screenshot(page, "twofactor_setup")
    away_from_step_boundary()
    page.get_by_label("Code from your app").fill(code_at(secret))
    page.get_by_role("button", name="Turn on two-factor").click()

    expect(page.get_by_test_id("recovery-codes").locator("code")).to_have_count(10)
    codes = [item.inner_text().strip() for item in page.get_by_test_id("recovery-codes").locator("code").all()]
    assert len(codes) == 10
    assert "only time they are shown" in page.content()
    screenshot(page, "twofactor_recovery_codes")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_test_id("twofactor-status")).to_contain_text("is on")
    assert codes[0] not in page.content()
    sign_out(page)

    # Password first, then the second step asks for a code; the next step's code is fresh.
    sign_in_with_password(page, person.email)
    page.wait_for_url("**/accounts/2fa/login/**")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "login_second_step")
    fresh = code_at(secret, +1)
    enter_code(page, fresh)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    sign_out(page)

    # The same code again is a replay.
    sign_in_with_password(page, person.email)
    page.wait_for_url("**/accounts/2fa/login/**")
    enter_code(page, fresh)
    expect(page.get_by_role("alert")).to_contain_text("That code is not valid")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # A recovery code gets in once, and says how many are left.
    enter_code(page, codes[4])
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You used a recovery code; 9 left")
    assert page.console_errors == []


def test_second_step_alone_signs_in_with_a_code_and_refuses_a_replay(page, browser, live_server, person):
    # Starts from the state part A's login leaves (pending_login_start), so this step is tested on its own.
    secret, _ = enrol(person)
    code = code_at(secret)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": pending_login_session(person), "url": live_server.url}]
    )
    page.goto("/accounts/2fa/login/")
    enter_code(page, code)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    other = browser.new_context(base_url=live_server.url)
    try:
        other.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": pending_login_session(person), "url": live_server.url}]
        )
        replay = other.new_page()
        replay.goto("/accounts/2fa/login/")
        enter_code(replay, code)
        expect(replay.get_by_role("alert")).to_contain_text("That code is not valid")
        expect(replay.get_by_role("button", name="Sign out")).to_have_count(0)
    finally:
        other.close()
