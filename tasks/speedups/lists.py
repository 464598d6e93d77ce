"""The task list, answered by the speed-ups instead of DRF's list().

TaskViewSet.list() calls respond() when settings.API_OPTIMIZATIONS is on. It
answers, in order of cost:

1. the default first page (no parameters) from the page cache (page_cache);
2. a list whose filters all come from a closed set, from SQL compiled once per
   combination of them (compiled);
3. any other list through the ORM, as DRF's list() would run it, but with rows
   formatted from `.values()` rather than by the serializer (rows).

Every answer is the same page DRF's own list() gives; the suite runs in both
modes to keep it so.
"""

import logging

from django.contrib.auth import get_user_model
from rest_framework.response import Response

from api.pagination import CountingPaginator, PageNumberPagination

from ..filters import parse_id
from . import page_cache
from .compiled import STAND_IN_ID, STAND_IN_NAMED_ID, CompiledQueries, CompiledQuery
from .rows import LIST_FIELDS, task_rows

logger = logging.getLogger(__name__)

# Filters whose SQL depends only on whether they are given and on values from a
# closed set, never on who asks or when: a list filtered by these alone (and
# paged) runs SQL compiled once per combination. A new filter joins only if
# that holds for it; tests compare the two paths on every one listed, and
# CompiledQuery refuses any value but booleans, integers and the user's id.
COMPILED_FILTERS = frozenset({"completed", "priority", "has_due", "ordering", "list"})
# Of those, the ones whose value is an id: a slot in the compiled SQL, filled
# per request (compiled.CompiledQuery), rather than one compiled query per id.
ID_FILTERS = ("list",)
PAGE_PARAMETERS = frozenset({"page", "page_size"})
compiled_lists = CompiledQueries(size=256)


def respond(view, request) -> Response:
    """The page `view` (a TaskViewSet) answers `request` with."""
    # Only the default view (no parameters) is cached: it is what clients
    # load most, and one entry per user keeps invalidation simple.
    if not page_cache.enabled() or request.query_params:
        return _list_page(view, request)
    origin = f"{request.scheme}://{request.get_host()}"  # in the page's links
    page, generations = page_cache.cached(request.user.pk, origin)
    if page is not None:
        return Response(page)
    response = _list_page(view, request)
    page_cache.store(request.user.pk, origin, generations, response.data)
    return response


def _list_page(view, request) -> Response:
    shape = _compiled_shape(view, request)
    compiled = compiled_lists.get(shape) if shape is not None else None
    if shape is not None and compiled is not None:
        # CountingPaginator takes the page from the compiled SQL.
        named = {name: int(request.query_params[name]) for name in _ids(shape)}
        page = view.paginate_queryset(compiled.bind(request.user.pk, **named))
        return view.get_paginated_response(task_rows(page))
    rows = view.filter_queryset(view.get_queryset()).values(*LIST_FIELDS)
    page = view.paginate_queryset(rows)
    if shape is not None:
        # The parameters were valid (or the request would have failed by
        # now): compile the same list for a stand-in user.
        _compile(view, shape)
    if page is None:  # pagination switched off
        return Response(task_rows(rows))
    return view.get_paginated_response(task_rows(page))


def _ids(shape: tuple) -> tuple[str, ...]:
    return tuple(name for name, value in shape if value == "*")


def _compile(view, shape: tuple) -> None:
    stand_in = view.rows_for(get_user_model()(pk=STAND_IN_ID))
    request = view.request._request
    given = request.GET
    # The filters read the query string: the named ids' stand-ins go there.
    request.GET = given.copy()
    for name in _ids(shape):
        request.GET[name] = str(STAND_IN_NAMED_ID)
    try:
        rows = view.filter_queryset(stand_in).values(*LIST_FIELDS)
    finally:
        request.GET = given
    try:
        # Its rows carry the total count, as the paginator reads it.
        compiled = CompiledQuery(CountingPaginator.counted(rows), named=_ids(shape))
    except ValueError:
        # A filter in COMPILED_FILTERS that does not belong there: the
        # list keeps working through the ORM, and this says why it is slow.
        logger.exception("Could not compile the task list for %s", shape)
        return
    compiled_lists.add(shape, compiled)


def _compiled_shape(view, request) -> tuple | None:
    """What makes this list's SQL, if compiled SQL may serve it, else None."""
    paginator = view.paginator
    if not isinstance(paginator, PageNumberPagination):
        return None
    parameters = request.query_params
    filters = set(parameters) - PAGE_PARAMETERS
    if not filters <= COMPILED_FILTERS:
        return None
    if parameters.get("page") in paginator.last_page_strings:
        return None  # needs the count before the page
    values = {name: parameters.getlist(name) for name in filters}
    if any(len(given) > 1 for given in values.values()):
        # One value each: endless repeats would make endless shapes.
        return None
    for name in ID_FILTERS:
        if name in values:
            if not _is_id(values[name][0]):
                return None  # the ORM's filters answer 400
            values[name] = ["*"]
    return tuple(sorted((name, given[0]) for name, given in values.items()))


def _is_id(text: str) -> bool:
    # (A request naming the stand-in itself goes through the ORM.)
    return parse_id(text) not in (None, STAND_IN_NAMED_ID)
