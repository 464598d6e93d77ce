import sys

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from tasks import importing, transfer
from tasks.management.users import user_from_option

# How many problems to list before summarising the rest.
MAX_REPORTED = 50


class Command(BaseCommand):
    help = (
        "Add the lists and tasks in FILE (JSON or CSV, as export_tasks and GET "
        "/api/v1/export/ write them) to a user: the file's inbox goes to theirs, "
        "its other lists become new lists, with their subtasks and order. Every "
        "row is checked with the API's rules first; one problem, nothing imported."
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
        try:
            contents = transfer.read(text, transfer.format_for(file, format))
        except transfer.FileError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        try:
            tasks, lists = importing.write(owner, importing.check(contents))
        except importing.Refused as refused:
            shown = refused.problems[:MAX_REPORTED]
            if len(refused.problems) > MAX_REPORTED:
                shown.append(f"... and {len(refused.problems) - MAX_REPORTED} more")
            raise CommandError(
                f"{file}: nothing imported; fix these:\n  " + "\n  ".join(shown)
            ) from None
        count = f"{len(tasks)} task{pluralize(len(tasks))}"
        imported = f"Imported {count} for {owner.username}."
        if lists:
            imported += f" New list{pluralize(len(lists))}: {len(lists)}."
        self.stdout.write(self.style.SUCCESS(imported))

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
