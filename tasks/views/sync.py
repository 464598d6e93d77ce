"""The change feed (tasks/sync.py has how it works)."""

from typing import cast

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework.response import Response

from api.schema import ErrorSerializer
from api.viewsets import ScopedAPIView
from users.models import User

from .. import examples, sync


@extend_schema(tags=["sync"])
class SyncView(ScopedAPIView):
    """Every change to the caller's tasks, tags and lists since a cursor, oldest
    first."""

    # Its parameters are checked (a bad limit is a 400, documented as such).
    query_serializer_class = sync.SyncQuerySerializer

    @extend_schema(
        summary="Changes to your tasks, tags and lists since a cursor",
        description="In the order they committed; deletions (and tasks and lists "
        "moved to the trash) come as entries with deleted=true. Without a cursor: "
        "everything. Keep the returned cursor and send it next time; while has_more "
        "is true, ask again at once. A client that applies every entry in order "
        "(replace the record of that type and id, or remove it when deleted) holds "
        "exactly the server's live tasks, tags and lists, archived lists included. "
        "A task's list, parent and position are part of the task: moving it sends "
        "it again. Siblings (tasks with the same list and parent) are in the order "
        "of (position, id), positions compared byte by byte; lists likewise. Counts "
        "derived from other records (a list's tasks, a task's subtasks, a tag's "
        "tasks) are not sent: the records they count are.",
        parameters=[query_serializer_class],
        responses={
            200: sync.SyncPageSerializer,
            410: OpenApiResponse(
                ErrorSerializer,
                description="The cursor is invalid or too old to follow (one "
                "given before lists joined the feed included): sync again from "
                "scratch, without a cursor.",
            ),
        },
        examples=examples.SYNC,
    )
    def get(self, request) -> Response:
        query = self.query_serializer_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = cast(User, request.user)  # IsAuthenticated: never anonymous here
        cursor = query.validated_data.get("cursor")
        after = sync.decode(user, cursor) if cursor else sync.START
        changes, last, more = sync.changes(user, after, query.validated_data["limit"])
        return Response(
            {"changes": changes, "cursor": sync.encode(user, last), "has_more": more}
        )
