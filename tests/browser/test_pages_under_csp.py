"""The pages a person opens work under the Content-Security-Policy, in a real Chromium:
each renders, its scripts run, and the console shows no CSP violation."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for(page, condition, timeout: float = 15):
    try:
        return WebDriverWait(page.driver, timeout).until(condition)
    except TimeoutException:
        console = "\n".join(entry["message"] for entry in page.driver.get_log("browser"))
        raise AssertionError(f"{page.driver.current_url} never got there; console:\n{console}") from None


def test_every_response_carries_the_policy(live_server):
    import urllib.request

    with urllib.request.urlopen(live_server.url + "/") as response:  # noqa: S310 - the local live server
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "object-src 'none'" in policy


def test_home_page(page):
    page.open("/")
    assert page.driver.find_element(By.TAG_NAME, "h1").text == "Brisk"
    assert page.csp_violations() == []


def test_swagger_ui_renders_the_schema(page):
    page.open("/api/docs/")
    # Swagger UI's scripts ran: they fetched the schema and rendered its title and operations
    title = wait_for(page, ec.visibility_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title")))
    assert "Brisk API" in title.text
    wait_for(page, ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    assert page.csp_violations() == []


def test_admin_login_and_index_with_their_scripts(page):
    admin = UserFactory(is_staff=True, is_superuser=True)
    page.open("/admin/login/")
    page.driver.find_element(By.NAME, "username").send_keys(admin.username)
    page.driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    page.driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(page, ec.presence_of_element_located((By.ID, "site-name")))
    assert page.driver.current_url.endswith("/admin/")
    assert page.csp_violations() == []

    # a change list with the admin's own JavaScript (actions, filters)
    page.open("/admin/accounts/user/")
    wait_for(page, ec.presence_of_element_located((By.ID, "changelist")))
    assert page.script("return typeof window.django === 'object' && typeof django.jQuery === 'function'")
    page.driver.find_element(By.ID, "action-toggle").click()  # actions.js ran: the toggle selects every row
    assert page.script("return document.querySelectorAll('input.action-select:checked').length") >= 1
    assert page.csp_violations() == []


def test_silk_pages(page, settings):
    if not settings.SILK_ENABLED:
        pytest.skip("silk is off (SILK_ENABLED=0)")
    page.log_in_with_session(UserFactory(is_staff=True, is_superuser=True))
    for path in ("/silk/", "/silk/requests/", "/silk/profiling/"):
        page.open(path)
        wait_for(page, ec.presence_of_element_located((By.TAG_NAME, "body")))
        assert page.script("return typeof window.jQuery === 'function'"), path
        assert page.csp_violations() == [], path


def test_a_demo_user_logs_in_and_uses_the_browsable_api(page):
    user = UserFactory()  # not staff
    page.open("/api-auth/login/?next=/api/projects/")
    page.driver.find_element(By.NAME, "username").send_keys(user.username)
    page.driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    page.driver.find_element(By.CSS_SELECTOR, "[type=submit]").click()
    wait_for(page, ec.url_contains("/api/projects/"))
    wait_for(page, ec.presence_of_element_located((By.CSS_SELECTOR, ".response-info")))
    assert user.username in page.driver.page_source
    assert page.script("return typeof window.jQuery === 'function'")
    assert page.csp_violations() == []

    # the raw-data form posts JSON through DRF's ajax-form.js (CSRF header included)
    textarea = wait_for(page, ec.presence_of_element_located((By.CSS_SELECTOR, "#post-generic-content-form textarea")))
    textarea.clear()
    textarea.send_keys('{"key": "BROW", "name": "From Chromium"}')
    page.driver.find_element(By.CSS_SELECTOR, "#post-generic-content-form button.btn-primary").click()
    wait_for(page, ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".response-info"), "201 Created"))
    assert page.csp_violations() == []

    # and the log-out form (a plain button: DRF's inline onclick would be blocked) ends the session
    page.open("/api/projects/")
    page.driver.find_element(By.CSS_SELECTOR, "#logoutForm").find_element(By.XPATH, "./ancestor::li[2]/a").click()
    wait_for(page, ec.element_to_be_clickable((By.CSS_SELECTOR, "#logoutForm button"))).click()
    wait_for(page, ec.presence_of_element_located((By.LINK_TEXT, "Log in")))
    assert page.csp_violations() == []
