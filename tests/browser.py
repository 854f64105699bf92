"""Headless Chromium (Debian's build, driven by Playwright) for tests of pages people use."""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine has no internet: without these Chromium keeps trying Google's hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_executable() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package (see README).")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # expect() retries until the page shows what it asserts; give it the same 10 s as every other wait.
    expect.set_options(timeout=10_000)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def page_in_new_context(browser, base_url: str, *, timeout_ms: int = 10_000):
    """A page in a fresh browser context (its own cookies), console errors collected on `page.console_errors`."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test, with its console errors collected on `page.console_errors`."""
    with page_in_new_context(browser, live_server.url) as page:
        yield page


SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


def screenshot(page, name: str) -> None:
    """Save the whole page as var/screenshots/<name>.png, the artifact people look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, email: str, password: str, *, remember: bool = False) -> None:
    """Fill and submit the sign-in form the way a person does."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    if remember:
        page.get_by_label("Remember me for 30 days").check()
    # Wait for the answer's page: a goto() straight after the click would abort the POST and lose its cookie.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
