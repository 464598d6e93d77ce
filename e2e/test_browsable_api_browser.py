"""What a browser shows of the product: the browsable API's login and
breadcrumbs, and the admin's name, in a real (headless) browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import ARTIFACTS
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_browser_logs_in_to_the_api_root_and_sees_the_products_name(
    page: Page, live_server
):
    reader = UserFactory(username="reader")

    # The browsable API's own login, opened directly (no ?next=).
    page.goto(f"{live_server.url}/api-auth/login/")
    page.fill("#id_username", reader.username)
    page.fill("#id_password", PASSWORD)
    page.click("#submit-id-submit")
    expect(page).to_have_url(f"{live_server.url}/api/v1/")
    crumbs = page.locator("ul.breadcrumb li")
    expect(crumbs).to_have_text(["Api Root"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-root-after-login.png"), full_page=True)

    # One level down, the trail starts at the root.
    page.goto(f"{live_server.url}/api/v1/tasks/")
    expect(crumbs).to_have_text(["Api Root", "Task List"])

    # The admin says the product's name, not Django's.
    page.goto(f"{live_server.url}/admin/login/")
    expect(page.locator("#site-name")).to_have_text("Todo API")
    expect(page).to_have_title(re.compile(r"\| Todo API$"))
    expect(page.locator("body")).not_to_contain_text("Django")
