"""Examples for the OpenAPI schema (shown in /api/docs/ and /api/redoc/)."""

from drf_spectacular.utils import OpenApiExample

TASK = {
    "id": 42,
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

TAG_RENAME = [OpenApiExample("Rename", value={"name": "Errands"}, request_only=True)]

EXPORT = [
    OpenApiExample(
        "An export",
        value={
            "version": 1,
            "exported_at": "2026-11-26T12:00:00.000000Z",
            "tasks": [
                {key: value for key, value in TASK.items() if key != "id"}
                | {"deleted_at": None}
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
                {"type": "task", "id": 42, "deleted": False, "data": TASK},
                {"type": "task", "id": 41, "deleted": True, "data": None},
            ],
            "cursor": "WzEsMTIsMiw0MV0:1tZ9Xb:3f0b...",
            "has_more": False,
        },
        response_only=True,
    )
]  # fmt: skip
