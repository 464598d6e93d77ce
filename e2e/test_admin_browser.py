"""An operator at work in the Django admin, in a real (headless) browser."""

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import ARTIFACTS
from tasks.models import Task
from tasks.tests.factories import TaskFactory
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_operator_finds_a_users_tasks_filters_and_completes_them(
    page: Page, live_server
):
    operator = UserFactory(username="operator", is_staff=True, is_superuser=True)
    alice = UserFactory(username="alice", email="alice@example.com")
    TaskFactory(owner=alice, title="Renew passport", description="")
    TaskFactory(owner=alice, title="Call the plumber", description="")
    TaskFactory(owner=alice, title="Already done", description="", completed=True)
    bystander = TaskFactory(title="Someone else's task", description="")

    # Log in.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", operator.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_contain_text("Todo API")
    assert (
        page.evaluate("getComputedStyle(document.querySelector('#header')).display")
        != "inline"
    ), "the admin's CSS did not load"

    # Search for the user's tasks, then narrow to the open ones.
    page.goto(f"{live_server.url}/admin/tasks/task/")
    page.fill("#searchbar", "alice@example.com")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    page.locator("#changelist-filter").get_by_role(
        "link", name="No", exact=True
    ).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows).to_contain_text(["Call the plumber", "Renew passport"])  # newest first

    # Complete them in one bulk action.
    page.check("#action-toggle")
    page.select_option("select[name=action]", "mark_completed")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("Marked 2 tasks completed.")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-after-bulk-action.png"), full_page=True)

    # The operator sees the result, and so does the database.
    page.goto(
        f"{live_server.url}/admin/tasks/task/?q=alice%40example.com&completed__exact=0"
    )
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
    for task in alice.tasks.all():
        assert task.completed and task.completed_at is not None
    bystander.refresh_from_db()
    assert not bystander.completed
    assert Task.objects.filter(completed=True).count() == 3
