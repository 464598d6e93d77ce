"""Examples for the OpenAPI schema (shown in /api/docs/ and /api/redoc/)."""

from drf_spectacular.utils import OpenApiExample

TASK = {
    "id": 42,
    "list": 3,
    "parent": None,
    "position": "V",
    "subtask_count": {"open": 1, "total": 2},
    "title": "Buy milk",
    "description": "Two litres",
    "completed": False,
    "completed_at": None,
    "priority": "high",
    "due_at": None,
    "due_date": "2026-12-01",
    "tags": ["errands", "home"],
    "created_at": "2026-11-26T09:00:00.000000Z",
    "updated_at": "2026-11-26T09:00:00.000000Z",
}

DONE = {**TASK, "completed": True, "completed_at": "2026-11-26T17:30:00.000000Z"}
TRASHED = {**TASK, "deleted_at": "2026-11-27T08:00:00.000000Z"}
TAG = {
    "id": 7,
    "name": "errands",
    "task_count": 3,
    "created_at": "2026-11-26T09:00:00.000000Z",
}

LIST = {
    "id": 3,
    "name": "Groceries",
    "color": "#2E7D32",
    "position": "W",
    "is_inbox": False,
    "archived": False,
    "archived_at": None,
    "task_count": 12,
    "open_task_count": 4,
    "created_at": "2026-11-20T09:00:00.000000Z",
    "updated_at": "2026-11-26T09:00:00.000000Z",
}

# A response of one task, for every operation that answers one (a list's
# example is wrapped in its page by drf-spectacular).
A_TASK = [OpenApiExample("A task", value=TASK, response_only=True)]
A_COMPLETED_TASK = [OpenApiExample("The task", value=DONE, response_only=True)]
A_TRASHED_TASK = [
    OpenApiExample("A task in the trash", value=TRASHED, response_only=True)
]
A_TAG = [OpenApiExample("A tag", value=TAG, response_only=True)]
TRASH_PAGE = [
    OpenApiExample(
        "A task and a list in the trash",
        value={"type": "task", **TRASHED},
        response_only=True,
    ),
    OpenApiExample(
        "A list in the trash",
        value={"type": "list", **LIST, "deleted_at": "2026-11-27T08:00:00.000000Z"},
        response_only=True,
    ),
]
A_LIST = [OpenApiExample("A list", value=LIST, response_only=True)]
LIST_CREATE = [
    OpenApiExample(
        "A new list", value={"name": "Groceries", "color": "#2E7D32"}, request_only=True
    ),
    OpenApiExample(
        "The created list",
        value={**LIST, "task_count": 0, "open_task_count": 0},
        response_only=True,
    ),
]
LIST_CHANGE = [
    OpenApiExample(
        "Rename and recolour",
        value={"name": "Food", "color": "#FF8F00"},
        request_only=True,
    ),
    OpenApiExample(
        "The changed list",
        value={**LIST, "name": "Food", "color": "#FF8F00"},
        response_only=True,
    ),
]
LIST_MOVE = [
    OpenApiExample("After list 5", value={"after": 5}, request_only=True),
    OpenApiExample("First", value={"after": None}, request_only=True),
    *A_LIST,
]
TASK_MOVE = [
    OpenApiExample(
        "After task 17, among the same siblings", value={"after": 17}, request_only=True
    ),
    OpenApiExample(
        "First among its siblings", value={"after": None}, request_only=True
    ),
    OpenApiExample("Under task 40, last", value={"parent": 40}, request_only=True),
    OpenApiExample(
        "To the top of list 8, before task 90",
        value={"list": 8, "parent": None, "before": 90},
        request_only=True,
    ),
    OpenApiExample(
        "The moved task",
        value={**TASK, "list": 8, "position": "Gk"},
        response_only=True,
    ),
]

REPLACE = [
    OpenApiExample(
        "Every field; what is left out gets its default",
        value={"title": "Buy oat milk", "completed": False, "tags": ["errands"]},
        request_only=True,
    ),
    *A_TASK,
]

CREATE = [
    OpenApiExample(
        "An all-day task with tags",
        value={
            "title": "Buy milk",
            "description": "Two litres",
            "priority": "high",
            "due_date": "2026-12-01",
            "tags": ["errands", "home"],
        },
        request_only=True,
    ),
    OpenApiExample("The created task", value=TASK, response_only=True),
]

PATCH = [
    OpenApiExample(
        "Swap an all-day deadline for a time",
        value={"due_at": "2026-12-01T09:00:00Z", "due_date": None},
        request_only=True,
    ),
    OpenApiExample("Complete it", value={"completed": True}, request_only=True),
    *A_TASK,
]

BULK = [
    OpenApiExample(
        "Create one, change one, complete one, delete one",
        value={
            "operations": [
                {"op": "create", "data": {"title": "Call the plumber"}},
                {"op": "update", "id": 42, "data": {"priority": "low"}},
                {"op": "complete", "id": 43},
                {"op": "delete", "id": 44},
            ],
            "atomic": True,
        },
        request_only=True,
    ),
    OpenApiExample(
        "Each operation's result, in order",
        value={
            "results": [
                {"op": "create", "id": 45, "status": 201, "task": {**TASK, "id": 45}},
                {"op": "update", "id": 42, "status": 200, "task": TASK},
                {"op": "complete", "id": 43, "status": 200, "task": {**TASK, "id": 43}},
                {"op": "delete", "id": 44, "status": 204},
            ]
        },
        response_only=True,
    ),
]

TAG_CREATE = [
    OpenApiExample("A new tag", value={"name": "errands"}, request_only=True),
    OpenApiExample(
        "The created tag", value={**TAG, "task_count": 0}, response_only=True
    ),
]
TAG_RENAME = [
    OpenApiExample("Rename", value={"name": "Errands"}, request_only=True),
    OpenApiExample(
        "The renamed tag", value={**TAG, "name": "Errands"}, response_only=True
    ),
]

EXPORT = [
    OpenApiExample(
        "An export",
        value={
            "version": 2,
            "exported_at": "2026-11-26T12:00:00.000000Z",
            "lists": [
                {
                    "key": 1,
                    "name": "Inbox",
                    "color": None,
                    "is_inbox": True,
                    "archived_at": None,
                    "created_at": "2026-11-20T09:00:00.000000Z",
                    "updated_at": "2026-11-20T09:00:00.000000Z",
                    "deleted_at": None,
                },
                {
                    "key": 2,
                    "name": "Groceries",
                    "color": "#2E7D32",
                    "is_inbox": False,
                    "archived_at": None,
                    "created_at": "2026-11-20T09:00:00.000000Z",
                    "updated_at": "2026-11-26T09:00:00.000000Z",
                    "deleted_at": None,
                },
            ],
            "tasks": [
                {"key": 1, "list": 2, "parent": None}
                | {
                    key: value
                    for key, value in TASK.items()
                    if key not in {"id", "list", "parent", "position", "subtask_count"}
                }
                | {"deleted_at": None},
                {
                    "key": 2,
                    "list": 2,
                    "parent": 1,
                    "title": "Check the date",
                    "description": "",
                    "completed": False,
                    "completed_at": None,
                    "priority": "none",
                    "due_at": None,
                    "due_date": None,
                    "tags": [],
                    "created_at": "2026-11-26T09:05:00.000000Z",
                    "updated_at": "2026-11-26T09:05:00.000000Z",
                    "deleted_at": None,
                },
            ],
            "tags": [
                {"name": "errands", "created_at": "2026-11-26T09:00:00.000000Z"},
                {"name": "home", "created_at": "2026-11-26T09:00:00.000000Z"},
            ],
        },
        response_only=True,
    )
]

SYNC = [
    OpenApiExample(
        "A page of changes",
        value={
            "changes": [
                {"type": "tag", "id": 7, "deleted": False, "data": {
                    "id": 7, "name": "errands", "created_at": "2026-11-26T09:00:00Z"
                }},
                {"type": "list", "id": 3, "deleted": False, "data": {
                    key: value for key, value in LIST.items() if "count" not in key
                }},
                {"type": "task", "id": 42, "deleted": False, "data": {
                    key: value for key, value in TASK.items() if key != "subtask_count"
                }},
                {"type": "task", "id": 41, "deleted": True, "data": None},
                {"type": "list", "id": 5, "deleted": True, "data": None},
            ],
            "cursor": "WzEsMTIsMiw0MV0:1tZ9Xb:3f0b...",
            "has_more": False,
        },
        response_only=True,
    )
]  # fmt: skip
