from contextlib import nullcontext
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from tasks import transfer
from tasks.management.users import user_from_option


class Command(BaseCommand):
    help = (
        "Write all of a user's lists and tasks (the trash included: titles, "
        "descriptions, completion, subtasks, order, timestamps) as JSON or CSV; "
        "import_tasks reads a JSON file back without loss (CSV keeps each task's "
        "list by name only)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="Username (or email).")
        parser.add_argument(
            "--format",
            choices=transfer.FORMATS,
            help="json or csv. Default: from --output's extension, else json.",
        )
        parser.add_argument(
            "--output",
            help="File to write (overwritten). Default: standard output.",
        )

    def handle(
        self, *args, user: str, format: str | None, output: str | None, **options
    ):
        owner = user_from_option(user)
        file_format = transfer.format_for(output or "", format)
        # The tasks are a stream: a large export stays small in memory.
        lists, tasks = transfer.export_rows(owner)
        write = transfer.write_csv if file_format == "csv" else transfer.write_json
        try:
            target = (
                open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
                if output
                else nullcontext(_Verbatim(self.stdout))
            )
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}.") from exc
        with target as out:
            count = write(lists, tasks, out)
        where = Path(output).resolve() if output else "standard output"
        self.stderr.write(
            f"Exported {count} task{pluralize(count)} of {owner.username} to {where}."
        )


class _Verbatim:
    """The command's stdout without the newline Django adds to every write."""

    def __init__(self, wrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")
