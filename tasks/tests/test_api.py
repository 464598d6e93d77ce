import pytest
from django.utils import timezone

from api.tests.helpers import NOT_FOUND, invalid_fields, problem
from tasks.models import Task
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def as_json(task: Task) -> dict:
    task.refresh_from_db()
    children = task.children.filter(deleted_at__isnull=True)
    return {
        "id": task.id,
        "list": task.list_id,
        "parent": task.parent_id,
        "position": task.position,
        "subtask_count": {
            "open": children.filter(completed=False).count(),
            "total": children.count(),
        },
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "completed_at": iso(task.completed_at),
        "priority": task.get_priority_display(),
        "due_at": iso(task.due_at),
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "tags": sorted(task.tags.values_list("name", flat=True), key=str.lower),
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
    }


# Create


def test_create_returns_201_with_the_task_and_location(auth_client, user):
    response = auth_client.post(
        "/api/v1/tasks/", {"title": "  Buy milk  ", "description": "Two litres"}
    )

    assert response.status_code == 201
    task = Task.objects.get()
    assert task.owner == user
    assert task.title == "Buy milk"
    assert response.json() == as_json(task)
    assert response.headers["Location"] == f"http://testserver/api/v1/tasks/{task.id}/"


def test_create_with_only_a_title_uses_defaults(auth_client):
    response = auth_client.post("/api/v1/tasks/", {"title": "Call mum"})

    assert response.status_code == 201
    body = response.json()
    assert body["description"] == ""
    assert body["completed"] is False
    assert body["completed_at"] is None


def test_create_completed_sets_completed_at(auth_client):
    before = timezone.now()

    response = auth_client.post(
        "/api/v1/tasks/", {"title": "Done already", "completed": True}
    )

    assert response.status_code == 201
    assert Task.objects.get().completed_at >= before


def test_create_ignores_owner_and_server_fields(auth_client, user, other_user):
    response = auth_client.post(
        "/api/v1/tasks/",
        {
            "title": "Mine",
            "owner": other_user.id,
            "user": other_user.id,
            "id": 12345,
            "completed_at": "2001-01-01T00:00:00Z",
            "created_at": "2001-01-01T00:00:00Z",
        },
    )

    assert response.status_code == 201
    task = Task.objects.get()
    assert task.owner == user
    assert task.id != 12345
    assert task.completed_at is None
    assert task.created_at.year == timezone.now().year


def test_description_keeps_its_whitespace(auth_client):
    response = auth_client.post(
        "/api/v1/tasks/", {"title": "Poem", "description": "  indented\n"}
    )

    assert response.json()["description"] == "  indented\n"


# Validation: every rule, and nothing written

INVALID = pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "title", "This field is required."),
        ({"description": "no title"}, "title", "This field is required."),
        ({"title": ""}, "title", "This field may not be blank."),
        ({"title": "   \t\n"}, "title", "This field may not be blank."),
        ({"title": None}, "title", "This field may not be null."),
        (
            {"title": "x" * 201},
            "title",
            "Ensure this field has no more than 200 characters.",
        ),
        ({"title": 42}, "title", "Must be a string."),
        ({"title": ["a"]}, "title", "Must be a string."),
        (
            {"title": "ok", "description": "x" * 1001},
            "description",
            "Ensure this field has no more than 1000 characters.",
        ),
        ({"title": "ok", "description": 7}, "description", "Must be a string."),
        ({"title": "ok", "completed": "yes"}, "completed", "Must be true or false."),
        ({"title": "ok", "completed": 1}, "completed", "Must be true or false."),
        (
            {"title": "ok", "completed": None},
            "completed",
            "This field may not be null.",
        ),
    ],
)


@INVALID
def test_create_invalid_input_is_400_naming_field_and_problem(
    auth_client, payload, field, message
):
    response = auth_client.post("/api/v1/tasks/", payload)

    assert response.status_code == 400
    assert invalid_fields(response) == {field: [message]}
    assert not Task.objects.exists()


@INVALID
@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_invalid_input_is_400_and_changes_nothing(
    auth_client, user, method, payload, field, message
):
    task = TaskFactory(owner=user, title="Keep me", description="Keep this too")
    before = as_json(task)

    response = getattr(auth_client, method)(f"/api/v1/tasks/{task.id}/", payload)

    if method == "patch" and "title" not in payload and field == "title":
        # A missing title is fine in a PATCH: it changes only what it sends.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert invalid_fields(response) == {field: [message]}
    assert as_json(task) == before


def test_title_of_exactly_200_and_description_of_1000_characters_are_accepted(
    auth_client,
):
    response = auth_client.post(
        "/api/v1/tasks/", {"title": "t" * 200, "description": "d" * 1000}
    )

    assert response.status_code == 201


def test_title_length_counts_what_is_sent_and_the_title_is_stored_trimmed(
    auth_client,
):
    # As the schema's maxLength says: clients can check it before sending.
    too_long = auth_client.post("/api/v1/tasks/", {"title": " " + "t" * 200})
    response = auth_client.post("/api/v1/tasks/", {"title": "  " + "t" * 196 + "  "})

    assert invalid_fields(too_long) == {
        "title": ["Ensure this field has no more than 200 characters."]
    }
    assert response.status_code == 201
    assert Task.objects.get().title == "t" * 196


def test_malformed_json_is_400(auth_client):
    response = auth_client.post(
        "/api/v1/tasks/", '{"title": "oops"', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert not Task.objects.exists()


@pytest.mark.parametrize("body", ['["title"]', '"a title"', "42", "null"])
def test_json_body_that_is_not_an_object_is_400(auth_client, body):
    response = auth_client.post("/api/v1/tasks/", body, content_type="application/json")

    assert response.status_code == 400
    assert None in invalid_fields(response)
    assert not Task.objects.exists()


def test_deeply_nested_json_is_400_not_500(auth_client):
    body = "[" * 5000 + "]" * 5000

    response = auth_client.post("/api/v1/tasks/", body, content_type="application/json")

    assert response.status_code == 400
    assert problem(response)["detail"] == "JSON parse error - nested too deeply."


def test_malformed_json_on_update_changes_nothing(auth_client, user):
    task = TaskFactory(owner=user)
    before = as_json(task)

    response = auth_client.put(
        f"/api/v1/tasks/{task.id}/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert as_json(task) == before


def test_form_encoded_body_is_415(auth_client):
    response = auth_client.post(
        "/api/v1/tasks/", "title=x", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert problem(response)["code"] == "unsupported_media_type"


def test_invalid_update_changes_nothing(auth_client, user):
    task = TaskFactory(owner=user, title="Keep me")
    before = as_json(task)

    response = auth_client.patch(
        f"/api/v1/tasks/{task.id}/", {"title": "", "description": "changed"}
    )

    assert response.status_code == 400
    assert as_json(task) == before


# Read, update, delete


def test_retrieve_returns_the_whole_task(auth_client, user):
    task = TaskFactory(owner=user, completed=True)

    response = auth_client.get(f"/api/v1/tasks/{task.id}/")

    assert response.status_code == 200
    assert response.json() == as_json(task)


def test_put_replaces_the_task(auth_client, user):
    task = TaskFactory(owner=user)

    response = auth_client.put(
        f"/api/v1/tasks/{task.id}/",
        {"title": "New title", "description": "New text", "completed": True},
    )

    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.title, task.description, task.completed) == (
        "New title",
        "New text",
        True,
    )
    assert response.json() == as_json(task)


def test_put_returns_fields_it_leaves_out_to_their_defaults(auth_client, user):
    task = TaskFactory(owner=user, description="old text", completed=True)

    response = auth_client.put(f"/api/v1/tasks/{task.id}/", {"title": "Only a title"})

    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.title, task.description, task.completed) == ("Only a title", "", False)
    assert task.completed_at is None
    assert response.json() == as_json(task)


def test_put_without_title_is_400(auth_client, user):
    task = TaskFactory(owner=user)

    response = auth_client.put(f"/api/v1/tasks/{task.id}/", {"description": "x"})

    assert response.status_code == 400
    assert invalid_fields(response) == {"title": ["This field is required."]}


def test_patch_changes_only_the_fields_sent(auth_client, user):
    task = TaskFactory(owner=user, title="Old", description="Keep")

    response = auth_client.patch(f"/api/v1/tasks/{task.id}/", {"title": "New"})

    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.title, task.description) == ("New", "Keep")


def test_patch_completed_sets_then_clears_completed_at(auth_client, user):
    task = TaskFactory(owner=user)

    done = auth_client.patch(f"/api/v1/tasks/{task.id}/", {"completed": True}).json()
    assert done["completed"] is True
    assert done["completed_at"] is not None

    again = auth_client.patch(f"/api/v1/tasks/{task.id}/", {"completed": True}).json()
    assert again["completed_at"] == done["completed_at"]

    reopened = auth_client.patch(
        f"/api/v1/tasks/{task.id}/", {"completed": False}
    ).json()
    assert reopened["completed"] is False
    assert reopened["completed_at"] is None


def test_patch_cannot_move_a_task_to_another_user(auth_client, user, other_user):
    task = TaskFactory(owner=user)

    response = auth_client.patch(f"/api/v1/tasks/{task.id}/", {"owner": other_user.id})

    assert response.status_code == 200
    task.refresh_from_db()
    assert task.owner == user


def test_delete_is_204_and_moves_the_task_to_the_trash(auth_client, user):
    task = TaskFactory(owner=user)

    response = auth_client.delete(f"/api/v1/tasks/{task.id}/")

    assert response.status_code == 204
    assert response.content == b""
    assert Task.objects.get(pk=task.pk).deleted_at is not None
    assert auth_client.get(f"/api/v1/tasks/{task.id}/").status_code == 404
    assert auth_client.delete(f"/api/v1/tasks/{task.id}/").status_code == 404


def test_missing_task_is_404_json(auth_client):
    response = auth_client.get("/api/v1/tasks/999999/")

    assert response.status_code == 404
    assert problem(response) == NOT_FOUND


def test_non_numeric_task_id_is_404_json(auth_client):
    response = auth_client.get("/api/v1/tasks/abc/")

    assert response.status_code == 404
    assert problem(response) == NOT_FOUND
