"""GET /api/v1/lists/, answered from SQL compiled once per filter (compiled)
with rows formatted from `.values()` (rows), instead of DRF's list().

TaskListViewSet.list() calls respond() when settings.API_OPTIMIZATIONS is on.
A request with any parameter but `archived` and the page ones, or with a
value the filters would refuse, goes through DRF's list(), which answers it
(a 400 included). The suite runs in both modes, holding the two to the same
answers.
"""

import logging

from django.contrib.auth import get_user_model
from rest_framework.response import Response

from api.pagination import CountingPaginator, PageNumberPagination

from ..serializers import TaskListSerializer
from .compiled import STAND_IN_ID, CompiledQueries, CompiledQuery
from .lists import PAGE_PARAMETERS
from .rows import times_formatter

logger = logging.getLogger(__name__)
FIELDS = [name for name in TaskListSerializer.Meta.fields if name != "archived"]
_format_times = times_formatter(("archived_at", "created_at", "updated_at"))
compiled_pages = CompiledQueries(size=8)


def respond(view, request, fallback) -> Response:
    """The page `view` (a TaskListViewSet) answers `request` with; `fallback`
    answers what compiled SQL cannot."""
    shape = _shape(view, request)
    if shape is None:
        return fallback()
    compiled = compiled_pages.get(shape)
    if compiled is None:
        stand_in = view.rows_for(get_user_model()(pk=STAND_IN_ID))
        rows = view.filter_queryset(stand_in).values(*FIELDS)
        try:
            compiled = CompiledQuery(CountingPaginator.counted(rows))
        except ValueError:
            # A rule that cannot be compiled (lists.py logs the same for the
            # tasks): answered through DRF, and logged.
            logger.exception("Could not compile GET /lists/ for %s", shape)
            return fallback()
        compiled_pages.add(shape, compiled)
    page = view.paginate_queryset(compiled.bind(request.user.pk))
    return view.get_paginated_response([_row(values) for values in page])


def _row(values: dict) -> dict:
    row = dict(values)
    row["archived"] = row["archived_at"] is not None
    _format_times(row)
    return row


def _shape(view, request) -> tuple | None:
    if not isinstance(view.paginator, PageNumberPagination):
        return None
    parameters = request.query_params
    if set(parameters) - PAGE_PARAMETERS - {"archived"}:
        return None
    archived = parameters.getlist("archived")
    if archived not in ([], ["true"], ["false"]):
        return None  # the filters answer 400
    if parameters.get("page") in view.paginator.last_page_strings:
        return None  # needs the count before the page
    return tuple(archived)
