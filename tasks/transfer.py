"""Task files: what export_tasks writes and import_tasks reads, JSON or CSV.

JSON is {"version": 1, "tasks": [...]} (a bare list of tasks is read too; the
API's export adds "tags": [{"name": ...}, ...], its tags with or without tasks); CSV
has one header row (tags as a JSON array in one cell). Both carry the fields of
TaskTransferSerializer.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

from rest_framework.exceptions import ValidationError
from rest_framework.fields import DateTimeField

from .serializers import TaskTransferSerializer

FIELDS = list(TaskTransferSerializer.Meta.fields)
_TIME = DateTimeField()
FORMATS = ("json", "csv")
VERSION = 1


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


class FileError(ValueError):
    """The file as a whole cannot be read (not a row's content)."""


def format_for(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    return "csv" if path.lower().endswith(".csv") else "json"


# Writing


def write_json(rows: Iterable[dict], out: Writer) -> int:
    """Stream rows as one JSON document, one task per line; returns the count."""
    count = 0
    out.write(f'{{"version": {VERSION}, "tasks": [')
    for row in rows:
        out.write(("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]}\n")
    return count


def write_csv(rows: Iterable[dict], out: Writer) -> int:
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
        count += 1
    return count


def _csv_cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # tags: a JSON array, whatever the names hold
        return json.dumps(value, ensure_ascii=False) if value else ""
    return "" if value is None else value


# Reading: (line number, raw row) pairs, for error messages that point at the file


def read_rows(text: str, file_format: str) -> list[tuple[int, Any]]:
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write
    if file_format == "csv":
        return list(_read_csv(text))
    return _read_json(text)


def read_tags(text: str, file_format: str) -> dict[str, datetime | None]:
    """The tags under "tags" in a JSON export (GET /api/v1/export/ writes them,
    tags without tasks included), by name, with when each was created if the
    file says; none for CSV or a bare list of tasks."""
    if file_format == "csv":
        return {}
    document = json.loads(text.removeprefix("\ufeff"))
    tags = document.get("tags", []) if isinstance(document, dict) else []
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


def _read_csv(text: str) -> Iterator[tuple[int, dict]]:
    # The csv module finds the line breaks itself, so a quoted field keeps its
    # \r\n, \r or any other break character exactly.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "title" not in reader.fieldnames:
        raise FileError('The CSV file has no header row with a "title" column.')
    unknown = set(reader.fieldnames) - set(FIELDS)
    if unknown:
        raise FileError(f"Unknown CSV columns: {', '.join(sorted(unknown))}.")
    width = len(reader.fieldnames)
    for row in reader:
        if None in row or None in row.values():
            fields = width + len(row.get(None) or []) - list(row.values()).count(None)
            raise FileError(
                f"line {reader.line_num} has {fields} fields; the header has {width}."
            )
        yield reader.line_num, _from_csv(row)


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


def _read_json(text: str) -> list[tuple[int, Any]]:
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise FileError(f"Not valid JSON: {exc}") from None
    if isinstance(document, dict):
        if document.get("version", VERSION) != VERSION:
            raise FileError(f"Unknown file version {document['version']!r}.")
        tasks = document.get("tasks")
        if not isinstance(tasks, list):
            raise FileError('The JSON object has no "tasks" list.')
    elif isinstance(document, list):
        tasks = document
    else:
        raise FileError('Expected {"tasks": [...]} or a list of tasks.')
    lines = _item_lines(text, tasks_key=isinstance(document, dict))
    return list(zip(lines, tasks, strict=True))


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


def _item_lines(text: str, tasks_key: bool) -> list[int]:
    """The line each element of the tasks array starts on (the text is valid JSON)."""
    index = _skip_space(text, 0)
    if tasks_key:
        index = _skip_space(text, index + 1)  # past "{"
        while True:
            key, index = _decoder.raw_decode(text, index)
            index = _skip_space(text, _skip_space(text, index) + 1)  # past ":"
            if key == "tasks":
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
