"""Task files: what GET /api/v1/export/ and export_tasks write and import_tasks
reads, JSON or CSV.

JSON is {"version": 2, "lists": [...], "tasks": [...]}; the API's export adds
"exported_at" and "tags": [{"name": ..., "created_at": ...}, ...], its tags with
or without tasks. A list has a "key" and a task may have one: numbers that
hold only within the file, as ids would not survive the trip to another
account. A task names its list and its parent by their keys. Lists and tasks
come in their order: the tasks of one list under one parent are in the order
of the file, and an export puts each task before its subtasks. A task that
names no list goes where its parent is, or to the inbox. Version 1 files
(without lists, or a bare list of tasks) are read too: their tasks go to the
inbox.

CSV has a header row and a row per task (tags as a JSON array in one cell).
It has no room for lists: the `list` column holds the list's name, empty for
the inbox, so a list's colour, archive, trash and times, and lists without
tasks, are JSON's alone, and lists of one name become one. `key` and `parent`
are as in JSON.
"""

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any, Protocol

from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import DateTimeField

from api.fields import StrictBooleanField

from .models import Task, TaskList
from .serializers import TaskListSerializer, TaskTransferSerializer

_TIME = DateTimeField()
FORMATS = ("json", "csv")
VERSION = 2
READS = (1, VERSION)


class ListTransferSerializer(TaskListSerializer):
    """A list in a file: its key there, the API's rules for its name and colour,
    its state and its own times. On import a missing time is "now"."""

    key = serializers.IntegerField(min_value=1, source="transfer_key")
    is_inbox = StrictBooleanField(required=False, default=False)
    archived_at = serializers.DateTimeField(allow_null=True, required=False)
    deleted_at = serializers.DateTimeField(allow_null=True, required=False)
    created_at = serializers.DateTimeField(required=False)
    updated_at = serializers.DateTimeField(required=False)

    class Meta(TaskListSerializer.Meta):
        fields = [
            "key",
            "name",
            "color",
            "is_inbox",
            "archived_at",
            "created_at",
            "updated_at",
            "deleted_at",
        ]
        read_only_fields: list[str] = []

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        now = timezone.now()
        attrs.setdefault("created_at", now)
        attrs.setdefault("updated_at", max(attrs["created_at"], now))
        if attrs["updated_at"] < attrs["created_at"]:
            raise serializers.ValidationError(
                {"updated_at": ["Must not be before created_at."]}
            )
        if attrs["is_inbox"] and (attrs.get("archived_at") or attrs.get("deleted_at")):
            raise serializers.ValidationError(
                {"is_inbox": ["The inbox is never archived or in the trash."]}
            )
        return attrs

    def to_representation(self, instance: TaskList) -> dict:
        # ModelSerializer's own: TaskListSerializer's would count the tasks.
        return serializers.ModelSerializer.to_representation(self, instance)


class PlacedTaskTransferSerializer(TaskTransferSerializer):
    """A task in a file: TaskTransferSerializer's fields, and where it goes (the
    keys of the task, its list and its parent in the file)."""

    key = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, source="transfer_key"
    )
    list = serializers.IntegerField(  # type: ignore[assignment]
        min_value=1,
        required=False,
        allow_null=True,
        source="list_key",
        help_text="The key of its list in the file's lists; none: its parent's "
        "list, or the inbox.",
    )
    parent = serializers.IntegerField(  # type: ignore[assignment]
        min_value=1,
        required=False,
        allow_null=True,
        source="parent_key",
        help_text="The key of the task it is a subtask of; none at the top level.",
    )

    class Meta(TaskTransferSerializer.Meta):
        fields = ["key", "list", "parent", *TaskTransferSerializer.Meta.fields]


# The task's own fields, and the columns of a CSV file.
FIELDS = list(TaskTransferSerializer.Meta.fields)
COLUMNS = list(PlacedTaskTransferSerializer.Meta.fields)


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


class FileError(ValueError):
    """The file as a whole cannot be read (not a row's content)."""


def format_for(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    return "csv" if path.lower().endswith(".csv") else "json"


# A user's data as rows


def export_rows(user) -> tuple[list[dict], Iterator[dict]]:
    """The user's lists in their order, keyed 1, 2, ..., and a stream of their
    tasks: list by list, each task followed by its subtasks, keyed likewise."""
    lists = list(TaskList.objects.readable_by(user).order_by("position", "id"))
    for key, task_list in enumerate(lists, 1):
        task_list.transfer_key = key  # what ListTransferSerializer reads
    list_keys = {task_list.pk: key for key, task_list in enumerate(lists, 1)}
    rows = [dict(ListTransferSerializer(task_list).data) for task_list in lists]
    return rows, _task_rows(user, list_keys)


def _task_rows(user, list_keys: dict[int, int]) -> Iterator[dict]:
    tasks = Task.objects.readable_by(user).with_tag_names()
    tasks = tasks.order_by("list__position", "list_id", "position", "id")
    keys: dict[int, int] = {}
    # Fetched in chunks, one list at a time in memory (at most TASKS_PER_LIST).
    for list_id, in_list in groupby(tasks.iterator(2000), key=lambda t: t.list_id):
        for task in _tree_order(list(in_list)):
            keys[task.pk] = len(keys) + 1
            # What PlacedTaskTransferSerializer reads (a parent comes first).
            vars(task).update(
                transfer_key=keys[task.pk],
                list_key=list_keys[list_id],
                parent_key=keys[task.parent_id] if task.parent_id else None,
            )
            yield PlacedTaskTransferSerializer(task).data


def _tree_order(tasks: list[Task]) -> list[Task]:
    """One list's tasks (given in their siblings' order) with each followed by
    its subtasks: an order that two accounts holding the same tree share,
    however their position keys are spelled."""
    ids = {task.pk for task in tasks}
    children: dict[int | None, list[Task]] = defaultdict(list)
    for task in tasks:
        children[task.parent_id if task.parent_id in ids else None].append(task)
    ordered: list[Task] = []
    waiting = children[None][::-1]
    while waiting:
        task = waiting.pop()
        ordered.append(task)
        waiting += children[task.pk][::-1]
    return ordered


# Writing


def write_json(lists: list[dict], tasks: Iterable[dict], out: Writer) -> int:
    """Stream the rows as one JSON document, one per line; returns the number
    of tasks."""
    out.write(f'{{"version": {VERSION}, "lists": [')
    _write_items(lists, out)
    out.write('], "tasks": [')
    count = _write_items(tasks, out)
    out.write("]}\n")
    return count


def _write_items(rows: Iterable[dict], out: Writer) -> int:
    count = 0
    for row in rows:
        out.write(("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n")
    return count


def write_csv(lists: list[dict], tasks: Iterable[dict], out: Writer) -> int:
    names = {row["key"]: "" if row["is_inbox"] else row["name"] for row in lists}
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in tasks:
        row = {**row, "list": names[row["list"]]}
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
        count += 1
    return count


def _csv_cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # tags: a JSON array, whatever the names hold
        return json.dumps(value, ensure_ascii=False) if value else ""
    return "" if value is None else value


# Reading: raw rows with the line each starts on, for messages that point at
# the file


@dataclass
class Contents:
    lists: list[tuple[int, Any]] = field(default_factory=list)
    tasks: list[tuple[int, Any]] = field(default_factory=list)
    # The tags of the API's export, with when each was created if it says.
    tags: dict[str, datetime | None] = field(default_factory=dict)


def read(text: str, file_format: str) -> Contents:
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write
    if file_format == "csv":
        return _read_csv(text)
    return _read_json(text)


def read_rows(text: str, file_format: str) -> list[tuple[int, Any]]:
    """The tasks of a file."""
    return read(text, file_format).tasks


def _read_csv(text: str) -> Contents:
    # The csv module finds the line breaks itself, so a quoted field keeps its
    # \r\n, \r or any other break character exactly.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "title" not in reader.fieldnames:
        raise FileError('The CSV file has no header row with a "title" column.')
    unknown = set(reader.fieldnames) - set(COLUMNS)
    if unknown:
        raise FileError(f"Unknown CSV columns: {', '.join(sorted(unknown))}.")
    width = len(reader.fieldnames)
    contents = Contents()
    keys: dict[str, int] = {}  # a list for each name, keyed as it first appears
    for row in reader:
        if None in row or None in row.values():
            fields = width + len(row.get(None) or []) - list(row.values()).count(None)
            raise FileError(
                f"line {reader.line_num} has {fields} fields; the header has {width}."
            )
        data = _from_csv(row)
        if "list" in data:
            name = data["list"].strip()
            if name not in keys:
                keys[name] = len(keys) + 1
                contents.lists.append(
                    (reader.line_num, {"key": keys[name], "name": name})
                )
            data["list"] = keys[name]
        contents.tasks.append((reader.line_num, data))
    return contents


def _from_csv(row: dict) -> dict:
    # CSV has only strings: map them to the JSON types the serializer expects.
    data: dict[str, Any] = {}
    for key, value in row.items():
        if value in ("", None) and key != "title" and key != "description":
            continue
        if key == "completed":
            lowered = value.strip().lower()
            data[key] = {"true": True, "false": False}.get(lowered, value)
        elif key == "tags":
            try:
                data[key] = json.loads(value)
            except json.JSONDecodeError:
                data[key] = value  # refused by the serializer: not a list
        else:
            data[key] = value
    return data


def _read_json(text: str) -> Contents:
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise FileError(f"Not valid JSON: {exc}") from None
    if isinstance(document, list):
        return Contents(tasks=list(zip(_item_lines(text, None), document, strict=True)))
    if not isinstance(document, dict):
        raise FileError('Expected {"tasks": [...]} or a list of tasks.')
    if document.get("version", VERSION) not in READS:
        raise FileError(f"Unknown file version {document['version']!r}.")
    contents = Contents(tags=_tags(document))
    if not isinstance(document.get("tasks"), list):
        raise FileError('The JSON object has no "tasks" list.')
    if not isinstance(document.get("lists", []), list):
        raise FileError('"lists" must be a list of lists.')
    for key in ("lists", "tasks"):
        if key in document:
            lines = _item_lines(text, key)
            setattr(contents, key, list(zip(lines, document[key], strict=True)))
    return contents


def _tags(document: dict) -> dict[str, datetime | None]:
    """The tags under "tags", by name, with when each was created if the file
    says."""
    tags = document.get("tags", [])
    if not isinstance(tags, list) or not all(
        isinstance(tag, dict) and isinstance(tag.get("name"), str) for tag in tags
    ):
        raise FileError('"tags" must be a list of {"name": ...} objects.')
    found: dict[str, datetime | None] = {}
    seen: set[str] = set()
    for tag in tags:
        created_at = tag.get("created_at")
        if created_at is not None:
            try:  # read as the tasks' times are (TaskTransferSerializer)
                created_at = _TIME.to_internal_value(created_at)
            except ValidationError:
                raise FileError(
                    f'Tag "{tag["name"]}": created_at is not a time.'
                ) from None
        name = tag["name"].strip()
        # Names that differ only in case are one tag: the first spelling, and
        # its time, as tags_named() would take them.
        if name.lower() not in seen:
            seen.add(name.lower())
            found[name] = created_at
    return found


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise FileError(f"Duplicate keys in a JSON object: {', '.join(duplicates)}.")
    return dict(pairs)


_decoder = json.JSONDecoder()


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _item_lines(text: str, key: str | None) -> list[int]:
    """The line each element of the array under `key` (None: the document
    itself) starts on (the text is valid JSON)."""
    index = _skip_space(text, 0)
    if key is not None:
        index = _skip_space(text, index + 1)  # past "{"
        while True:
            name, index = _decoder.raw_decode(text, index)
            index = _skip_space(text, _skip_space(text, index) + 1)  # past ":"
            if name == key:
                break
            _, index = _decoder.raw_decode(text, index)
            index = _skip_space(text, _skip_space(text, index) + 1)  # past ","
    lines = []
    index = _skip_space(text, index + 1)  # past "["
    line, counted_to = 1, 0
    while text[index] != "]":
        line += text.count("\n", counted_to, index)
        counted_to = index
        lines.append(line)
        _, index = _decoder.raw_decode(text, index)
        index = _skip_space(text, index)
        if text[index] == ",":
            index = _skip_space(text, index + 1)
    return lines
