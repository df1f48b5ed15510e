"""A real headless Chromium (Debian's chromium + chromium-driver) against pytest-django's live server.

`make test-browser` installs the browser when it is missing and runs these tests; the default
`make test` leaves them out (`-m "not browser"`), since a machine may have no browser.
"""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("chromium and chromedriver are needed: run `make test-browser`, which installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, live_server):
    """`page.open(path)` loads a page; `page.csp_violations()` reads the console for CSP errors."""

    class Page:
        driver = browser

        def open(self, path: str) -> None:
            browser.get_log("browser")  # drop what earlier pages logged
            browser.get(live_server.url + path)

        def csp_violations(self) -> list[str]:
            entries = browser.get_log("browser")
            return [
                entry["message"]
                for entry in entries
                if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
            ]

        def console_errors(self) -> list[str]:
            return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]

        def script(self, source: str):
            return browser.execute_script(source)

        def log_in_with_session(self, user) -> None:
            from django.conf import settings
            from django.test import Client

            client = Client()
            client.force_login(user)
            browser.get(live_server.url + "/healthz")
            browser.delete_all_cookies()
            browser.add_cookie(
                {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
            )

        def log_out(self) -> None:
            browser.delete_all_cookies()

    yield Page()
    browser.delete_all_cookies()
