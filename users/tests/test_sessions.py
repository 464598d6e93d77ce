"""Session login: the admin and the browsable API work beside tokens."""

import pytest
from rest_framework.test import APIClient

from tasks.models import Task
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_can_log_in_to_the_admin_and_see_tasks():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = APIClient()

    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.username, "password": PASSWORD},
        format="multipart",
    )
    page = client.get("/admin/tasks/task/")

    assert login.status_code == 302
    assert page.status_code == 200


def test_non_staff_cannot_use_the_admin(user):
    client = APIClient()
    client.force_login(user)

    response = client.get("/admin/tasks/task/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_session_writes_need_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/api/v1/tasks/", HTTP_ACCEPT="text/html")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    refused = client.post("/api/v1/tasks/", {"title": "no token"})
    accepted = client.post(
        "/api/v1/tasks/", {"title": "with token"}, HTTP_X_CSRFTOKEN=token
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201
    assert list(Task.objects.values_list("title", flat=True)) == ["with token"]


def test_bearer_token_requests_need_no_csrf_token(auth_client):
    auth_client.handler.enforce_csrf_checks = True

    response = auth_client.post("/api/v1/tasks/", {"title": "from a script"})

    assert response.status_code == 201


def test_the_browsable_api_login_goes_on_to_the_api_root(user):
    client = APIClient()

    login = client.post(
        "/api-auth/login/",
        {"username": user.username, "password": PASSWORD},
        format="multipart",
    )

    assert login.status_code == 302
    assert login["Location"] == "/api/v1/"
    assert client.get(login["Location"], HTTP_ACCEPT="text/html").status_code == 200


@pytest.mark.parametrize(
    ("path", "crumbs"),
    [
        ("/api/v1/", ["Api Root"]),
        ("/api/v1/tasks/", ["Api Root", "Task List"]),
    ],
)
def test_the_browsable_apis_breadcrumbs_start_at_the_api_root(user, path, crumbs):
    client = APIClient()
    client.force_login(user)

    response = client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert [name for name, _ in response.context["breadcrumblist"]] == crumbs


def test_the_admin_is_named_for_the_product():
    client = APIClient()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    index = client.get("/admin/").content.decode()
    login = APIClient().get("/admin/login/").content.decode()

    for page in (index, login):
        assert '<a href="/admin/">Todo API</a>' in page
        assert "<title>" in page and "| Todo API</title>" in page
        assert "Django" not in page
    assert "<h1>Todo API</h1>" in index
