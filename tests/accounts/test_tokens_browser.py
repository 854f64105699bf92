"""API tokens in a real browser: create one, see it once, use it against whoami, revoke it, see it refused."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user(
        email="scripts@example.test", password=PASSWORD, display_name="Sam", email_verified_at=timezone.now()
    )


def whoami(base_url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base_url}/accounts/tokens/whoami", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_create_use_and_revoke_a_token(page, live_server, person):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()

    page.goto("/accounts/tokens/")
    expect(page.get_by_test_id("token-none")).to_be_visible()
    page.get_by_role("link", name="New token").click()
    page.get_by_label("Name").fill("home assistant")
    page.get_by_label("Write").check()
    page.get_by_label("Vault paths").fill("home/sensors\nhome/locks")
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create token").click()

    value = page.get_by_test_id("token-value").input_value()
    assert value.startswith("khp_")
    assert "will not be shown again" in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "token_created.png"), full_page=True)

    status, body = whoami(live_server.url, value)
    assert status == 200
    assert body["email"] == person.email
    assert body["token"]["name"] == "home assistant"
    assert body["token"]["scopes"] == ["read", "write"]
    assert body["token"]["path_prefixes"] == ["home/sensors", "home/locks"]

    page.get_by_role("link", name="Done").click()
    row = page.locator("tr", has_text="home assistant")
    expect(row).to_contain_text(value[:12])
    assert value not in page.content()
    expect(row).to_contain_text("from 127.0.0.1")
    page.screenshot(path=str(SCREENSHOTS / "token_list.png"), full_page=True)

    page.get_by_role("button", name="Revoke home assistant").click()
    expect(page.get_by_role("status")).to_contain_text("Token revoked")
    expect(page.locator("tr", has_text="home assistant")).to_contain_text("revoked")
    status, body = whoami(live_server.url, value)
    assert status == 401
    assert body["error"] == "The token has been revoked."
    assert page.console_errors == []
