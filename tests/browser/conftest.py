"""Headless Chromium (Debian's, never a downloaded one) against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
# test body are still synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not os.path.exists(CHROMIUM_PATH):
        pytest.skip(f"no Chromium at {CHROMIUM_PATH}; set CHROMIUM_PATH to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Page:
    """A Playwright page plus the console errors it logged (CSP violations land there)."""

    def __init__(self, page, errors: list[str]):
        self.page = page
        self.errors = errors

    def __getattr__(self, name):
        return getattr(self.page, name)

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or "Refused to" in e]


@pytest.fixture
def page(browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(10_000)
    raw = context.new_page()
    errors: list[str] = []
    raw.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    raw.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    yield Page(raw, errors)
    context.close()


@pytest.fixture
def sign_in(page):
    """sign_in(user) -> the page, signed in through the real sign-in form."""
    from tests.conftest import PASSWORD

    def do(user) -> Page:
        page.goto("/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        return page

    return do
