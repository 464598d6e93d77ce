"""Priority, deadlines, tags, and completing and reopening tasks."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.tests.helpers import at_once, bearer, invalid_fields
from tasks import tags
from tasks.models import Tag, Task
from tasks.tests.factories import TaskFactory
from tasks.views import tags as tag_views

pytestmark = pytest.mark.django_db


def create(client, **fields) -> dict:
    response = client.post("/api/v1/tasks/", {"title": "t", **fields}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def listed(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/tasks/?{query}")
    assert response.status_code == 200, response.json()
    return [task["title"] for task in response.json()["results"]]


def test_a_new_task_has_no_priority_deadline_or_tags(auth_client):
    task = create(auth_client)

    assert task["priority"] == "none"
    assert task["due_at"] is None
    assert task["due_date"] is None
    assert task["tags"] == []


def test_priority_and_deadlines_round_trip(auth_client):
    timed = create(auth_client, priority="high", due_at="2026-12-01T09:30:00+01:00")
    all_day = create(auth_client, priority="low", due_date="2026-12-24")

    assert timed["priority"] == "high"
    assert timed["due_at"] == "2026-12-01T08:30:00Z"
    assert all_day["due_date"] == "2026-12-24"
    assert auth_client.get(f"/api/v1/tasks/{all_day['id']}/").json() == all_day


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"priority": "urgent"}, "priority"),
        ({"priority": 3}, "priority"),
        ({"due_at": "tomorrow"}, "due_at"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"due_at": "2026-12-01T09:00:00Z", "due_date": "2026-12-01"}, "due_date"),
        ({"tags": "work"}, "tags"),
        ({"tags": [""]}, "tags"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": [" " + "x" * 50]}, "tags"),  # lengths count what is sent
        ({"title": "x" * 200 + " "}, "title"),
        ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
        ({"tags": [7]}, "tags"),
    ],
)
def test_bad_values_are_400_and_create_nothing(auth_client, fields, field):
    response = auth_client.post(
        "/api/v1/tasks/", {"title": "t", **fields}, format="json"
    )

    assert response.status_code == 400
    # A list's item is named by its position ("tags.0").
    assert {name.split(".")[0] for name in invalid_fields(response)} == {field}
    assert not Task.objects.exists()
    assert not Tag.objects.exists()


def test_a_patch_may_not_add_a_second_deadline_but_may_swap_them(auth_client):
    task = create(auth_client, due_at="2026-12-01T09:00:00Z")
    path = f"/api/v1/tasks/{task['id']}/"

    clash = auth_client.patch(path, {"due_date": "2026-12-02"}, format="json")
    swap = auth_client.patch(
        path, {"due_date": "2026-12-02", "due_at": None}, format="json"
    )

    assert invalid_fields(clash, 409) == {
        "due_date": ["A task has a due time (due_at) or a due date, not both."]
    }
    assert swap.status_code == 200
    assert (swap.json()["due_at"], swap.json()["due_date"]) == (None, "2026-12-02")


def test_tags_are_created_on_the_fly_and_matched_ignoring_case(auth_client, user):
    first = create(auth_client, tags=["work", "Home", "WORK"])
    second = create(auth_client, tags=["home"])

    assert first["tags"] == ["Home", "work"]
    assert second["tags"] == ["Home"]
    assert sorted(user.tags.values_list("name", flat=True)) == ["Home", "work"]


def test_patch_keeps_tags_it_does_not_send_and_put_clears_them(auth_client):
    task = create(auth_client, tags=["work"], priority="high")
    path = f"/api/v1/tasks/{task['id']}/"

    patched = auth_client.patch(path, {"title": "renamed"}, format="json").json()
    put = auth_client.put(path, {"title": "replaced"}, format="json").json()

    assert (patched["tags"], patched["priority"]) == (["work"], "high")
    assert (put["tags"], put["priority"]) == ([], "none")


def test_tags_endpoint_lists_counts_renames_and_deletes(auth_client, user):
    task = create(auth_client, tags=["work", "home"])
    create(auth_client, tags=["work"])
    work = Tag.objects.get(name="work")

    listing = auth_client.get("/api/v1/tags/").json()
    renamed = auth_client.patch(f"/api/v1/tags/{work.id}/", {"name": "Job"})
    after_rename = auth_client.get(f"/api/v1/tasks/{task['id']}/").json()["tags"]
    deleted = auth_client.delete(f"/api/v1/tags/{work.id}/")
    after_delete = auth_client.get(f"/api/v1/tasks/{task['id']}/").json()["tags"]

    assert [(t["name"], t["task_count"]) for t in listing] == [("home", 1), ("work", 2)]
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Job"
    assert after_rename == ["home", "Job"]
    assert deleted.status_code == 204
    assert after_delete == ["home"]
    assert Task.objects.count() == 2


def test_a_tag_name_is_unique_per_user_ignoring_case(auth_client, user):
    create(auth_client, tags=["work", "home"])
    home = Tag.objects.get(name="home")

    clash = auth_client.patch(f"/api/v1/tags/{home.id}/", {"name": "WORK"})
    recase = auth_client.patch(f"/api/v1/tags/{home.id}/", {"name": "Home"})
    duplicate = auth_client.post("/api/v1/tags/", {"name": "Work"})

    assert list(invalid_fields(clash, 409)) == ["name"]
    assert recase.status_code == 200
    assert duplicate.status_code == 409
    assert user.tags.count() == 2


def test_filters_by_priority_tags_and_deadlines(auth_client):
    now = timezone.now()
    create(auth_client, title="late", due_at=(now - timedelta(hours=1)).isoformat())
    create(auth_client, title="late-done", due_date="2000-01-01", completed=True)
    create(auth_client, title="today", due_date=now.date().isoformat())
    create(auth_client, title="soon", due_at=(now + timedelta(days=2)).isoformat())
    create(auth_client, title="free", priority="high", tags=["work", "home"])
    create(auth_client, title="work-only", tags=["Work"])

    # "today" is due by the end of today, UTC: exactly this boundary.
    tomorrow = f"{now.date() + timedelta(days=1)}T00:00:00Z"
    assert listed(auth_client, "priority=high") == ["free"]
    assert sorted(listed(auth_client, "tag=work")) == ["free", "work-only"]
    assert listed(auth_client, "tag=work&tag=HOME") == ["free"]
    assert sorted(listed(auth_client, "overdue=true")) == ["late"]
    # Done, not yet due, or without a deadline at all.
    assert sorted(listed(auth_client, "overdue=false")) == [
        "free",
        "late-done",
        "soon",
        "today",
        "work-only",
    ]
    assert sorted(listed(auth_client, "has_due=false")) == ["free", "work-only"]
    assert len(listed(auth_client, "has_due=true")) == 4
    assert sorted(listed(auth_client, f"due_before={tomorrow}")) == [
        "late",
        "late-done",
    ]
    assert sorted(listed(auth_client, f"due_after={tomorrow}")) == ["soon", "today"]


def test_due_filters_take_any_offset_python_does(auth_client):
    # PostgreSQL takes offsets up to 15:59; the filter compares in UTC.
    create(auth_client, title="soon", due_at="2026-12-01T08:00:00Z")

    late = listed(auth_client, "due_before=2026-12-02T08:00:00%2B19:23")  # 12:37Z
    early = listed(auth_client, "due_after=0205-09-30T12:38:38%2B19:23")

    assert late == early == ["soon"]


@pytest.mark.parametrize(
    "query",
    [
        "priority=urgent",
        "overdue=yes",
        "due_before=soon",
        f"tag={'x' * 51}",
        "due_after=0001-01-01T00:00:00%2B10:00",  # before year 1 in UTC
    ],
)
def test_bad_filters_are_400_naming_the_parameter(auth_client, query):
    response = auth_client.get(f"/api/v1/tasks/?{query}")

    assert response.status_code == 400
    assert list(invalid_fields(response)) == [query.split("=")[0]]


def test_ordering_by_deadline_puts_tasks_without_one_last_either_way(auth_client):
    create(auth_client, title="none")
    create(auth_client, title="day", due_date="2026-12-01")  # due by Dec 2, 00:00
    create(auth_client, title="early", due_at="2026-12-01T08:00:00Z")
    create(auth_client, title="late", due_at="2026-12-05T08:00:00Z")

    assert listed(auth_client, "ordering=due_at") == ["early", "day", "late", "none"]
    assert listed(auth_client, "ordering=-due_at") == ["late", "day", "early", "none"]


def test_ordering_by_priority(auth_client):
    for priority in ["low", "high", "none", "medium"]:
        create(auth_client, title=priority, priority=priority)

    assert listed(auth_client, "ordering=-priority") == [
        "high",
        "medium",
        "low",
        "none",
    ]


def test_search_covers_tag_names(auth_client):
    create(auth_client, title="plain")
    create(auth_client, title="tagged", tags=["Groceries"])

    assert listed(auth_client, "search=grocer") == ["tagged"]


def test_search_reads_only_the_callers_tags(auth_client, user, other_user, optimized):
    # Whatever the plan, the tag part of a search starts from the caller's own
    # tags; correlated on each task's owner instead, PostgreSQL may hash every
    # user's matching tags, scanning the whole tag table.
    Tag.objects.create(owner=other_user, name="groceries")
    create(auth_client, title="tagged", tags=["Groceries"])

    with CaptureQueriesContext(connection) as queries:
        assert listed(auth_client, "search=grocer") == ["tagged"]

    [search] = [q["sql"] for q in queries if "%GROCER%" in q["sql"].upper()]
    tags_part = search[search.index('FROM "tasks_tag" U0') :]
    assert f'U0."owner_id" = {user.pk}' in tags_part.split("LIKE")[0]


def test_complete_and_reopen_are_safe_to_retry(auth_client):
    task = create(auth_client)
    path = f"/api/v1/tasks/{task['id']}/"

    first = auth_client.post(path + "complete/")
    again = auth_client.post(path + "complete/")
    reopened = auth_client.post(path + "reopen/")
    reopened_again = auth_client.post(path + "reopen/")

    assert first.status_code == again.status_code == 200
    assert first.json()["completed"] is True
    assert again.json()["completed_at"] == first.json()["completed_at"]
    assert again.json()["updated_at"] == first.json()["updated_at"]
    assert reopened.json()["completed"] is False
    assert reopened.json()["completed_at"] is None
    assert reopened_again.json() == reopened.json()
    assert auth_client.get(path).json() == reopened.json()


def test_the_list_shows_the_new_fields_as_the_detail_does(auth_client, user):
    task = TaskFactory(owner=user, due_at=datetime(2026, 12, 1, 9, tzinfo=UTC))
    task.save()
    create(auth_client, due_date=date(2026, 12, 2).isoformat(), tags=["b", "A"])

    for item in auth_client.get("/api/v1/tasks/").json()["results"]:
        assert item == auth_client.get(f"/api/v1/tasks/{item['id']}/").json()


def test_the_last_representable_due_date_is_accepted(auth_client):
    task = create(auth_client, due_date="9999-12-31")

    assert task["due_date"] == "9999-12-31"
    assert listed(auth_client, "ordering=due_at") == ["t"]


@pytest.mark.parametrize("query", ["tag=a%00b", "&".join(["tag=t"] * 21)])
def test_tag_filters_that_could_never_match_are_400(auth_client, query):
    response = auth_client.get(f"/api/v1/tasks/?{query}")

    assert response.status_code == 400
    assert list(invalid_fields(response)) == ["tag"]


def test_a_tag_name_taken_between_check_and_save_is_409(auth_client, user, rf):
    from rest_framework.exceptions import ValidationError

    from tasks.serializers import TagSerializer
    from tasks.views.tags import _save_tag

    request = rf.post("/api/v1/tags/")
    request.user = user
    serializer = TagSerializer(data={"name": "dup"}, context={"request": request})
    assert serializer.is_valid()
    Tag.objects.create(owner=user, name="DUP")  # a concurrent request wins

    with pytest.raises(ValidationError) as raised:
        _save_tag(serializer, owner=user)
    assert raised.value.get_codes() == {"name": ["unique"]}  # a 409 conflict
    assert user.tags.count() == 1


def test_an_account_has_a_limited_number_of_tags(auth_client, user, monkeypatch):
    monkeypatch.setattr(tags, "TAGS_PER_USER", 3)
    assert auth_client.post("/api/v1/tags/", {"name": "one"}).status_code == 201
    task = create(auth_client, tags=["One", "two", "three"])  # 3: the limit

    new_tag = auth_client.post("/api/v1/tags/", {"name": "four"})
    new_task = auth_client.post(
        "/api/v1/tasks/", {"title": "x", "tags": ["one", "four"]}, format="json"
    )
    changed = auth_client.patch(
        f"/api/v1/tasks/{task['id']}/", {"tags": ["four"]}, format="json"
    )
    in_bulk = auth_client.post(
        "/api/v1/tasks/bulk/",
        {
            "operations": [
                {"op": "create", "data": {"title": "y", "tags": ["two"]}},
                {"op": "create", "data": {"title": "z", "tags": ["five"]}},
            ],
            "atomic": False,
        },
        format="json",
    )

    assert list(invalid_fields(new_tag, 409)) == [None]
    assert "An account can have 3 tags" in invalid_fields(new_task, 409)["tags"][0]
    assert list(invalid_fields(changed, 409)) == ["tags"]
    results = in_bulk.json()["results"]
    assert [result["status"] for result in results] == [201, 409]
    assert [error["field"] for error in results[1]["errors"]] == ["tags"]
    assert sorted(user.tags.values_list("name", flat=True)) == ["one", "three", "two"]
    assert sorted(user.tasks.values_list("title", flat=True)) == ["t", "y"]
    # Tags it has are still given freely.
    assert create(auth_client, tags=["ONE", "Three"])["tags"] == ["one", "three"]


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_write_refused_for_its_tags_changes_nothing_else(
    auth_client, user, monkeypatch, method
):
    monkeypatch.setattr(tags, "TAGS_PER_USER", 1)
    task = create(auth_client, title="kept", tags=["one"])
    path = f"/api/v1/tasks/{task['id']}/"

    refused = getattr(auth_client, method)(
        path, {"title": "changed", "tags": ["two"]}, format="json"
    )

    assert list(invalid_fields(refused, 409)) == ["tags"]
    assert auth_client.get(path).json() == task


def test_a_bulk_update_refused_for_its_tags_leaves_no_trace(
    auth_client, user, monkeypatch
):
    # Not atomic: the next operation on the same task saves it again, and must
    # save it as stored, not as the refused update left it in memory.
    monkeypatch.setattr(tags, "TAGS_PER_USER", 1)
    task = create(auth_client, title="kept", tags=["one"])

    response = auth_client.post(
        "/api/v1/tasks/bulk/",
        {
            "operations": [
                {
                    "op": "update",
                    "id": task["id"],
                    "data": {"title": "X", "tags": ["two"]},
                },
                {"op": "complete", "id": task["id"]},
                {"op": "update", "id": task["id"], "data": {"priority": "low"}},
            ],
            "atomic": False,
        },
        format="json",
    )

    results = response.json()["results"]
    assert [result["status"] for result in results] == [409, 200, 200]
    stored = auth_client.get(f"/api/v1/tasks/{task['id']}/").json()
    assert (stored["title"], stored["tags"]) == ("kept", ["one"])
    assert (stored["completed"], stored["priority"]) == (True, "low")
    assert results[2]["task"] == stored


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
)
def test_two_racing_tag_creates_cannot_pass_the_limit(user, login, monkeypatch):
    monkeypatch.setattr(tags, "TAGS_PER_USER", 1)
    token = login(user)
    real_check = tag_views.check_room

    def slow_check(*args, **kwargs):
        time.sleep(0.3)  # the other request arrives while this one counts
        return real_check(*args, **kwargs)

    monkeypatch.setattr(tag_views, "check_room", slow_check)
    statuses = at_once(
        *[
            lambda name=name: bearer(token).post("/api/v1/tags/", {"name": name})
            for name in "ab"
        ]
    )

    assert sorted(statuses) == [201, 409]
    assert user.tags.count() == 1
