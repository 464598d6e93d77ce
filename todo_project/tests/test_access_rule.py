"""Every URL pattern, walked: no view reaches users' rows but through the rule.

The rule is each model's readable_by / writable_by (api.access). Two checks:

- by structure: every view under /api/v1/ is one of the scoped bases
  (api.viewsets), or stands in ALLOWLIST with its reason;
- by what runs: each pattern is called with every method it takes, on the
  caller's own objects and on another user's, and every read of a row that
  belongs to users (a model whose queryset is an AccessQuerySet) must come from
  a queryset the rule made. Reads made inside the model layer (models.py and
  models/: saving, the change feed's bookkeeping) are that layer's own.
"""

import re
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db.models import QuerySet
from django.db.models.sql import compiler
from django.urls import URLPattern, URLResolver, get_resolver

from api.access import AccessQuerySet, is_scoped
from api.models import IdempotencyKey
from api.tests.helpers import bearer
from api.viewsets import ScopedAPIView, ScopedMixin
from tasks import services
from tasks.models import Tag, Task, TaskList, Tombstone
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory, TaskListFactory

# Requests commit as in production: none runs inside a test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)

# Patterns whose views need not be scoped, each with its reason.
ALLOWLIST = {
    "api/v1/auth/register/": "open: creates the caller's account, reads no rows",
    "api/v1/auth/login/": "open: checks credentials, issues the caller a token",
    "api/v1/auth/logout/": "deletes the token the request came with",
    "api/v1/auth/logout-all/": "deletes the caller's tokens (request.user's)",
    "api/v1/users/me/": "the caller's own account (request.user), no other row",
    "api/v1/": "the browsable API's index of endpoints: no rows",
}
# Patterns outside the API, not called here.
OUTSIDE = {
    "admin/": "operators (staff) see every user's rows by design",
    "api/schema/": "the OpenAPI document: no rows",
    "api/docs/": "Swagger UI: no rows",
    "api/redoc/": "ReDoc: no rows",
    "api-auth/": "the browsable API's session login: no rows",
    "health/": "probes: no rows",
    "^api/(?P<path>.*)$": "the JSON 404 for unknown API paths: no rows",
}
PROTECTED = {
    model
    for model in apps.get_models()
    if isinstance(model._default_manager.all(), AccessQuerySet)
}
# The model layers of this project's own apps.
MODEL_LAYERS = [
    Path(config.path)
    for config in apps.get_app_configs()
    if Path(config.path).parent == Path(settings.BASE_DIR)
]


def patterns(resolver=None, prefix=""):
    """(route, pattern) for every URL pattern, included ones too."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def view_class(pattern: URLPattern):
    return getattr(pattern.callback, "cls", None) or getattr(
        pattern.callback, "view_class", None
    )


def api_patterns() -> list[tuple[str, URLPattern]]:
    return [
        (route, pattern)
        for route, pattern in patterns()
        if not any(route.startswith(outside) for outside in OUTSIDE)
    ]


def test_every_pattern_is_called_here_or_outside_the_api_for_a_reason():
    for route, _ in patterns():
        called = not any(route.startswith(outside) for outside in OUTSIDE)
        assert called or any(route.startswith(o) for o in OUTSIDE), route
    assert len(api_patterns()) >= len(ALLOWLIST) + 10


def test_every_api_view_is_scoped_or_allowed_for_a_reason():
    unscoped = [
        route
        for route, pattern in api_patterns()
        if route not in ALLOWLIST
        and not issubclass(view_class(pattern), ScopedMixin | ScopedAPIView)
    ]

    assert unscoped == []
    assert set(ALLOWLIST) <= {route for route, _ in api_patterns()}


def _in_model_layer() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if any(
            path == app / "models.py" or path.parent == app / "models"
            for app in MODEL_LAYERS
        ):
            return True
        frame = frame.f_back
    return False


def _our_caller() -> str:
    """Where in this project's code the read was asked for."""
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if any(path.is_relative_to(app) for app in MODEL_LAYERS):
            return f"{path.relative_to(settings.BASE_DIR)}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


class Reads(list):
    """Each read, bulk update or bulk delete of a protected model's rows that
    the rule did not make, while `watching`."""

    watching = False


@pytest.fixture
def unscoped_reads(monkeypatch) -> Reads:
    seen = Reads()
    execute_sql = compiler.SQLCompiler.execute_sql

    def spy(self, *args, **kwargs):
        query = self.query
        writes = (
            compiler.SQLInsertCompiler,
            compiler.SQLUpdateCompiler,
            compiler.SQLDeleteCompiler,
        )
        if (
            seen.watching
            and not isinstance(self, writes)
            and query.model in PROTECTED
            # count() and aggregates wrap the rule's query in one of their own
            and not is_scoped(getattr(query, "inner_query", None) or query)
            and not _in_model_layer()
        ):
            seen.append(f"{query.model.__name__} read from {_our_caller()}: {query}")
        return execute_sql(self, *args, **kwargs)

    monkeypatch.setattr(compiler.SQLCompiler, "execute_sql", spy)

    # A queryset's update() and delete() read and write inside the model layer
    # (SyncedQuerySet), where reads are exempt: they are checked where they
    # are called, instead.
    def bulk_write(owner, method):
        original = owner.__dict__[method]

        def checked(self, *args, **kwargs):
            if (
                seen.watching
                and self.model in PROTECTED
                and not is_scoped(self.query)
                and not _in_model_layer()
            ):
                seen.append(f"{self.model.__name__} {method}() from {_our_caller()}")
            return original(self, *args, **kwargs)

        return checked

    querysets = {type(model._default_manager.all()) for model in PROTECTED}
    defining = {cls for qs in querysets for cls in qs.__mro__} | {QuerySet}
    for cls in defining:
        for method in ("update", "delete"):
            if method in cls.__dict__:
                monkeypatch.setattr(cls, method, bulk_write(cls, method))
    return seen


def holdings(user) -> dict[str, int]:
    """A user with a list holding a tagged task and its subtask, a task in the
    trash, a deleted one (its tombstone), a tag, and a list in the trash; the
    ids of each."""
    task_list = TaskListFactory(owner=user)
    task = TaskFactory(owner=user, list=task_list)
    TaskFactory(owner=user, list=task_list, parent=task)
    tag = tags_named(user, ["shared-name"])[0]
    task.tags.set([tag])
    trashed = TaskFactory(owner=user)
    trashed.move_to_trash()
    TaskFactory(owner=user).delete()
    trashed_list = TaskListFactory(owner=user)
    services.trash_list(user=user, task_list=trashed_list)
    return {
        "task": task.pk,
        "tag": tag.pk,
        "trashed": trashed.pk,
        "list": task_list.pk,
        "trashed_list": trashed_list.pk,
    }


def bodies(ids: dict[str, int]) -> dict[str, dict]:
    """A body for each pattern that takes one, naming the ids given."""
    return {
        "task-list": {
            "title": "New",
            "tags": ["shared-name", "new-name"],
            "list": ids["list"],
            "parent": ids["task"],
        },
        "task-detail": {"title": "Changed", "tags": ["shared-name"]},
        "task-move": {"list": ids["list"], "after": None},
        "tag-list": {"name": "another"},
        "tag-detail": {"name": "renamed"},
        "list-list": {"name": "another"},
        "list-detail": {"name": "renamed"},
        "list-move": {"after": ids["list"]},
    }


# Which of a user's objects a detail pattern names.
OBJECTS = {"tag": "tag", "trash": "trashed", "task": "task", "list": "list"}
RESTORES = {"task-restore": "trashed", "list-restore": "trashed_list"}


def calls(route: str, pattern: URLPattern, ids: dict[str, int]):
    """(method, path, body) for every method the pattern's view takes."""
    cls = view_class(pattern)
    actions = getattr(pattern.callback, "actions", None)
    methods = (
        list(actions)
        if actions
        else [m for m in cls.http_method_names if m in {"get", "post", "put", "patch"}]
    )
    path = "/" + route.replace("^", "").replace("$", "")
    if "(?P<pk>" in path:
        kind = OBJECTS[pattern.name.split("-")[0]]
        object_id = ids[RESTORES.get(pattern.name, kind)]
        path = re.sub(r"\(\?P<pk>[^)]*\)", str(object_id), path)
    body = bodies(ids).get(pattern.name)
    if pattern.name == "task-bulk":
        body = {
            "operations": [
                {"op": "update", "id": ids["task"], "data": {"title": "Bulk"}},
                {"op": "create", "data": {"title": "Bulk", "tags": ["x"]}},
            ]
        }
    for method in methods:
        yield method, path, body if method in {"post", "put", "patch"} else None


@pytest.mark.parametrize("whose", ["mine", "theirs"])
def test_no_view_reads_users_rows_but_through_the_rule(
    user, other_user, login, unscoped_reads, whose
):
    mine, theirs = holdings(user), holdings(other_user)
    ids = mine if whose == "mine" else theirs
    client = bearer(login(user))
    called = 0
    for route, pattern in api_patterns():
        if route in {"api/v1/auth/logout/", "api/v1/auth/logout-all/"}:
            continue  # they would end the session the other calls need
        for method, path, body in calls(route, pattern, ids):
            unscoped_reads.watching = True
            response = getattr(client, method)(path, body)
            unscoped_reads.watching = False
            assert response.status_code < 500, (method, path, response.content)
            called += 1

    assert unscoped_reads == []
    assert called >= 20
    assert {Task, TaskList, Tag, Tombstone, IdempotencyKey} <= PROTECTED


def test_the_check_sees_a_bulk_write_that_skips_the_rule(user, unscoped_reads):
    task = TaskFactory(owner=user)
    unscoped_reads.watching = True
    Task.objects.filter(pk=task.pk).update(title="x")
    Task.objects.readable_by(user).filter(pk=task.pk).update(title="y")
    Task.objects.filter(pk=task.pk).delete()

    assert len(unscoped_reads) == 2


def test_the_check_sees_a_read_that_skips_the_rule(user, unscoped_reads):
    unscoped_reads.watching = True
    list(Task.objects.filter(owner=user))
    list(Task.objects.readable_by(user))

    assert len(unscoped_reads) == 1
