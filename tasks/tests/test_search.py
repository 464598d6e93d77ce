"""?search= on the task list: its word cap, and a cost that stays flat per task."""

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api.tests.helpers import invalid_fields
from tasks.filters import MAX_SEARCH_WORDS
from tasks.models import Tag
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

TEN_WORDS = "a b c d e f g h i j"
# How a subquery names the task it is asked about, once per task.
PER_TASK = '= ("tasks_task"."id")'


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(task["id"] for task in response.json()["results"])


def list_sql(client, search: str | None) -> str:
    """The SQL of the list query the request ran (the one that reads tasks)."""
    query = {"search": search} if search is not None else {"completed": "false"}
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/tasks/", query).status_code == 200
    [sql] = [q["sql"] for q in queries if 'FROM "tasks_task"' in q["sql"]]
    return sql


def test_the_cap_is_ten_words():
    assert MAX_SEARCH_WORDS == 10


def test_ten_words_are_allowed_and_eleven_are_400(auth_client, user):
    TaskFactory(owner=user, title=TEN_WORDS)

    allowed = auth_client.get("/api/v1/tasks/", {"search": TEN_WORDS})
    refused = auth_client.get("/api/v1/tasks/", {"search": TEN_WORDS + " k"})

    assert allowed.status_code == 200 and allowed.json()["count"] == 1
    assert invalid_fields(refused) == {
        "search": ["At most 10 words, repeats included."]
    }


@pytest.mark.parametrize("words", [1, 10])
def test_a_search_adds_no_subquery_that_runs_once_per_task(
    auth_client, user, words, optimized
):
    # A subquery that names the task runs once for each task; one that does
    # not runs once for the request. However many words, a search adds only
    # the latter, so its cost per task is a few string comparisons per word.
    TaskFactory(owner=user)
    search = " ".join(f"w{n}" for n in range(words))

    assert list_sql(auth_client, search).count(PER_TASK) == list_sql(
        auth_client, None
    ).count(PER_TASK)


def test_repeated_words_are_searched_once(auth_client, user, optimized):
    TaskFactory(owner=user, title="Milk")

    once = list_sql(auth_client, "milk")
    repeated = list_sql(auth_client, "milk MILK Milk milk")

    assert repeated == once


def test_words_may_match_in_different_places(auth_client, user, other_user):
    Tag.objects.create(owner=other_user, name="urgent")  # not the caller's
    match = TaskFactory(owner=user, title="Buy milk", description="at the shop")
    match.tags.add(Tag.objects.create(owner=user, name="Errands"))
    TaskFactory(owner=user, title="Buy milk", description="at the shop")
    theirs = TaskFactory(owner=user, title="Buy milk urgent")

    response = auth_client.get("/api/v1/tasks/", {"search": "MILK shop errand"})
    other_tag = auth_client.get("/api/v1/tasks/", {"search": "milk urgent"})

    assert ids(response) == [match.pk]
    assert ids(other_tag) == [theirs.pk]


def _search_parameter() -> dict:
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/v1/tasks/"]["get"]["parameters"]
    [search] = [p for p in parameters if p["name"] == "search"]
    return search


SEARCHES = [
    "",
    "   ",
    "milk",
    "  milk  shop  ",
    TEN_WORDS,
    TEN_WORDS + " k",
    "a " * 11,  # repeats count
    "\u3000".join(TEN_WORDS.split()),  # ideographic spaces
    "\x1c".join(TEN_WORDS.split()) + "\x85k",  # str.split's odd separators
    "a\u200bb " * 10,  # a zero-width space joins: ten words
    "a\u200bb " * 11,
    "\t".join(TEN_WORDS.split()) + "\n",
    "x" * 200,
    "x" * 201,
    " " * 150 + "x" * 50,  # 200 characters as sent
    " " * 151 + "x" * 50,
    "100% _under_ \\back",
]


@pytest.mark.parametrize("search", SEARCHES)
def test_the_schema_accepts_exactly_what_the_server_accepts(auth_client, search):
    try:
        jsonschema.validate(search, _search_parameter()["schema"])
        schema_valid = True
    except jsonschema.ValidationError:
        schema_valid = False

    response = auth_client.get("/api/v1/tasks/", {"search": search})

    assert response.status_code == (200 if schema_valid else 400), search
    assert schema_valid == (
        len(search) <= 200 and len(search.split()) <= MAX_SEARCH_WORDS
    ), search


def test_the_schema_states_the_cap():
    parameter = _search_parameter()

    assert parameter["schema"]["maxLength"] == 200
    assert "{0,10}" in parameter["schema"]["pattern"]
    assert parameter["description"].startswith("At most 10 words")
