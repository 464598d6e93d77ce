import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.pagination import CountingPaginator
from api.tests.helpers import problem
from tasks.models import Task
from tasks.tests.factories import TaskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("optimized")]


@pytest.fixture
def tasks(user):
    TaskFactory.create_batch(7, owner=user)
    return Task.objects.filter(owner=user).order_by("-id")


@pytest.mark.parametrize("rows", ["values", "instances"])
@pytest.mark.parametrize("number", [1, 2, 3])
def test_pages_and_counts_match_djangos_paginator(tasks, rows, number):
    queryset = tasks.values("id", "title") if rows == "values" else tasks
    expected = Paginator(queryset, 3).page(number)
    expected_rows = list(expected)

    with CaptureQueriesContext(connection) as queries:
        page = CountingPaginator(queryset, 3).page(number)
        assert list(page) == expected_rows
        assert page.paginator.count == 7
        assert page.paginator.num_pages == 3

    assert len(queries) == 1
    assert (page.has_next(), page.has_previous()) == (
        expected.has_next(),
        expected.has_previous(),
    )
    if rows == "instances":
        assert not hasattr(page[0], "_pagination_total")


def test_an_empty_first_page_counts_zero(user):
    page = CountingPaginator(Task.objects.filter(owner=user).values("id"), 3).page(1)

    assert list(page) == []
    assert page.paginator.count == 0


@pytest.mark.parametrize(
    ("number", "error"),
    [(4, EmptyPage), (0, EmptyPage), (-1, EmptyPage), ("x", PageNotAnInteger)],
)
def test_pages_out_of_range_fail_as_in_django(tasks, number, error):
    with pytest.raises(error):
        Paginator(tasks, 3).page(number)
    with pytest.raises(error):
        CountingPaginator(tasks, 3).page(number)


def test_distinct_orphans_and_the_switch_fall_back_to_a_separate_count(tasks, settings):
    for paginator in (
        CountingPaginator(tasks.distinct(), 3),
        CountingPaginator(tasks, 3, orphans=1),
    ):
        with CaptureQueriesContext(connection) as queries:
            page = paginator.page(2)
            list(page)
        assert len(queries) == 2
        assert page.paginator.count == 7

    settings.API_OPTIMIZATIONS = False
    with CaptureQueriesContext(connection) as queries:
        list(CountingPaginator(tasks, 3).page(1))
    assert len(queries) == 2


def test_the_api_page_reports_the_count_and_links(auth_client, user):
    TaskFactory.create_batch(5, owner=user)

    body = auth_client.get("/api/v1/tasks/?page_size=2&page=2").json()
    last = auth_client.get("/api/v1/tasks/?page_size=2&page=last").json()

    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=3&page_size=2")
    assert body["previous"].endswith("page_size=2")
    assert last["count"] == 5
    assert len(last["results"]) == 1
    assert last["next"] is None


@pytest.mark.parametrize("path", ["/api/v1/tasks/", "/api/v1/trash/"])
@pytest.mark.parametrize("page", ["175527918338314808019633882449110368256", "2" * 19])
def test_a_page_past_any_offset_is_404_not_a_database_error(auth_client, path, page):
    response = auth_client.get(path, {"page": page, "page_size": 100})

    assert response.status_code == 404
    assert problem(response)["detail"] == "Invalid page."
