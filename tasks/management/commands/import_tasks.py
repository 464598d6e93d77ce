import sys
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize

from tasks import transfer
from tasks.management.users import user_from_option
from tasks.models import (
    TAG_NAME_MAX_LENGTH,
    Tag,
    Task,
    bulk_create_keeping_timestamps,
)
from tasks.serializers import TaskTransferSerializer
from tasks.tags import tags_named

# How many bad rows to list before summarising the rest.
MAX_REPORTED = 50


class Command(BaseCommand):
    help = (
        "Add the tasks in FILE (JSON or CSV, as export_tasks writes) to a user. Every "
        "row is checked with the API's rules first; one bad row, nothing imported."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help='The file to read, or "-" for standard input.')
        parser.add_argument("--user", required=True, help="Username (or email).")
        parser.add_argument(
            "--format",
            choices=transfer.FORMATS,
            help="json or csv. Default: from the file's extension, else json.",
        )

    def handle(self, *args, file: str, user: str, format: str | None, **options):
        owner = user_from_option(user)
        text = self._read(file)
        file_format = transfer.format_for(file, format)
        try:
            rows = transfer.read_rows(text, file_format)
            tag_times = transfer.read_tags(text, file_format)
        except transfer.FileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        tasks, tag_names, problems = [], [], []
        for line, row in rows:
            serializer = TaskTransferSerializer(data=row)
            if serializer.is_valid():
                fields = dict(serializer.validated_data)
                tag_names.append(fields.pop("tag_names", []))
                tasks.append(Task(owner=owner, **fields))
            else:
                problems.extend(_describe(line, serializer.errors))
        if problems:
            shown = problems[:MAX_REPORTED]
            if len(problems) > MAX_REPORTED:
                shown.append(f"... and {len(problems) - MAX_REPORTED} more")
            raise CommandError(
                f"{file}: nothing imported; fix these rows:\n  " + "\n  ".join(shown)
            )

        if any(not 0 < len(name) <= TAG_NAME_MAX_LENGTH for name in tag_times):
            raise CommandError(
                f"{file}: tag names must be 1 to {TAG_NAME_MAX_LENGTH} characters."
            )
        with transaction.atomic():
            names = Tag.objects.writable_by(owner).values_list("name", flat=True)
            had = {name.lower() for name in names}
            _keep_creation_times(tags_named(owner, list(tag_times)), tag_times, had)
            created = bulk_create_keeping_timestamps(tasks)
            _tag(owner, created, tag_names)
        imported = f"{len(created)} task{pluralize(len(created))}"
        self.stdout.write(
            self.style.SUCCESS(f"Imported {imported} for {owner.username}.")
        )

    def _read(self, file: str) -> str:
        if file == "-":
            return sys.stdin.read()
        try:
            # newline="": line breaks inside quoted CSV fields stay as they are.
            with open(file, encoding="utf-8", newline="") as handle:
                return handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text.") from exc


def _describe(line: int, errors) -> list[str]:
    if not isinstance(errors, dict):
        return [f"line {line}: {' '.join(map(str, errors))}"]
    return [
        f"line {line}: {field}: {' '.join(map(str, messages))}"
        for field, messages in errors.items()
    ]


def _keep_creation_times(
    tags: list[Tag], times: dict[str, datetime | None], had: set[str]
) -> None:
    """The tags this import created take the file's created_at (the owner's
    own tags keep theirs)."""
    dated = []
    for tag, created_at in zip(tags, times.values(), strict=True):
        if created_at is not None and tag.name.lower() not in had:
            tag.created_at = created_at
            dated.append(tag)
    Tag.objects.bulk_update(dated, ["created_at"])


def _tag(owner, tasks: list[Task], names: list[list[str]]) -> None:
    """Give each imported task its tags (the owner's, created where missing)."""
    every_name = list({name.lower(): name for row in names for name in row}.values())
    tags = {tag.name.lower(): tag for tag in tags_named(owner, every_name)}
    Task.tags.through.objects.bulk_create(
        [
            Task.tags.through(task=task, tag=tags[name.lower()])
            for task, row in zip(tasks, names, strict=True)
            for name in row
        ],
        batch_size=1000,
    )
