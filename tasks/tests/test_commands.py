import csv
import io
import json
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.management import (
    CommandError,
    call_command,
    get_commands,
    load_command_class,
)
from django.db.models import Count, F
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.tests.helpers import bearer
from tasks import transfer
from tasks.management.commands import seed_tasks
from tasks.models import (
    CHILDREN_PER_TASK,
    MAX_DEPTH,
    TASKS_PER_LIST,
    Tag,
    Task,
    TaskList,
)
from tasks.positions import is_key
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COMMANDS = [
    "seed_demo",
    "seed_tasks",
    "purge_tasks",
    "purge_tombstones",
    "purge_idempotency_keys",
    "export_tasks",
    "import_tasks",
    "create_token",
    "task_stats",
    "wait_for_db",
]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


BASE_OPTIONS = {
    "help", "version", "verbosity", "settings", "pythonpath", "traceback",
    "no_color", "force_color", "skip_checks",
}  # fmt: skip


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_for_itself_and_each_option(name, capsys):
    command = load_command_class(get_commands()[name], name)
    parser = command.create_parser("manage.py", name)
    own = [action for action in parser._actions if action.dest not in BASE_OPTIONS]

    assert len(command.help) > 40
    assert own
    for action in own:
        assert action.help and len(action.help) > 10, action.dest
    with pytest.raises(SystemExit) as exited:
        call_command(name, "--help")
    assert exited.value.code == 0
    assert command.help.split()[0] in capsys.readouterr().out


# seed_demo


def test_seed_demo_creates_an_account_that_can_log_in(settings):
    settings.DEBUG = True

    output = run("seed_demo")

    assert 'username "demo"' in output
    demo = User.objects.get(username="demo")
    assert demo.tasks.count() == 6
    response = APIClient().post(
        "/api/v1/auth/login/", {"username": "demo", "password": "demo-password-2026"}
    )
    assert response.status_code == 200


def test_seed_demo_twice_resets_the_password_and_keeps_the_tasks(settings):
    settings.DEBUG = True
    run("seed_demo")
    demo = User.objects.get(username="demo")
    demo.set_password("changed")
    demo.is_active = False
    demo.save()

    output = run("seed_demo")

    assert output.startswith("Reset")
    assert Task.objects.count() == 6
    demo.refresh_from_db()
    assert demo.is_active
    assert demo.check_password("demo-password-2026")


def test_seed_demo_shows_an_inbox_two_lists_and_subtasks(settings):
    settings.DEBUG = True

    run("seed_demo")
    run("seed_demo")  # again: nothing more

    demo = User.objects.get(username="demo")
    lists = list(demo.task_lists.order_by("position"))
    assert [(task_list.name, task_list.is_inbox) for task_list in lists] == [
        ("Inbox", True),
        ("Home", False),
        ("Work", False),
    ]

    def titles(**where) -> list[str]:
        tasks = demo.tasks.filter(**where).order_by("position")
        return list(tasks.values_list("title", flat=True))

    offsite = demo.tasks.get(title="Plan the team offsite")
    assert titles(list=lists[1], parent=None) == [
        "Book the dentist",
        "Water the plants",
    ]
    assert titles(list=lists[2], parent=None) == ["Plan the team offsite"]
    assert titles(parent=offsite) == ["Book the venue", "Draft the agenda"]
    assert not offsite.completed  # one of its subtasks is open


def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        run("seed_demo")
    assert not User.objects.filter(username="demo").exists()

    run("seed_demo", "--force")
    assert User.objects.filter(username="demo").exists()


# seed_tasks


def seeded() -> list[tuple]:
    tasks = Task.objects.with_tag_names().order_by(
        "owner__username", "created_at", "title"
    )
    return [
        (*row[:-1], sorted(row[-1] or []))
        for row in tasks.values_list(
            "owner__username",
            "title",
            "description",
            "completed",
            "created_at",
            "list__name",
            "list__color",
            "position",
            "parent__created_at",
            "tag_names",
        )
    ]


def assert_seeded_by_the_rules(lists_per_user: int) -> None:
    """Every seeded user's lists and tasks keep the rules the API keeps."""
    for user in User.objects.filter(username__startswith="seed-"):
        lists = list(user.task_lists.order_by("position", "id"))
        assert len(lists) == lists_per_user
        assert [task_list.is_inbox for task_list in lists].count(True) == 1
        assert (lists[0].name, lists[0].is_inbox) == ("Inbox", True)
    tasks = {task.pk: task for task in Task.objects.select_related("list")}
    for task in tasks.values():
        assert is_key(task.position)
        assert task.list.owner_id == task.owner_id
        assert task.list.created_at <= task.created_at
        depth, below = 1, task
        while below.parent_id is not None:
            parent = tasks[below.parent_id]
            assert parent.list_id == below.list_id
            assert parent.created_at < below.created_at
            # An open task has only open ancestors; a parent is completed no
            # earlier than its subtasks.
            assert below.completed or not parent.completed
            if parent.completed:
                assert parent.completed_at >= below.completed_at
            depth, below = depth + 1, parent
        assert depth <= MAX_DEPTH
    per_list = TaskList.objects.annotate(n=Count("tasks")).values_list("n", flat=True)
    assert max(per_list) <= TASKS_PER_LIST
    # Each group of siblings, in the database's order: as they were created.
    groups: dict[tuple, list[Task]] = defaultdict(list)
    ordered = Task.objects.order_by("list_id", "parent_id", "position", "id")
    for task in ordered:
        groups[task.list_id, task.parent_id].append(task)
    for (_, parent), siblings in groups.items():
        assert siblings == sorted(siblings, key=lambda task: task.created_at)
        assert len({task.position for task in siblings}) == len(siblings)
        if parent is not None:
            assert len(siblings) <= CHILDREN_PER_TASK


def depth(task: Task) -> int:
    return 1 + (depth(task.parent) if task.parent else 0)


def test_seed_tasks_creates_users_and_tasks_that_obey_the_rules():
    output = run("seed_tasks", "--users", "3", "--tasks-per-user", "7", "--seed", "1")

    links = Task.tags.through.objects.count()
    assert f"Created 3 users, 21 tasks and {links} tag links" in output
    assert 0 < links < 21 * 2
    # Every user has the same few tags; a task carries only its owner's.
    assert Tag.objects.count() == 3 * 6
    assert not Task.tags.through.objects.exclude(tag__owner=F("task__owner")).exists()
    assert "100%" in output
    assert User.objects.filter(username__startswith="seed-").count() == 3
    for user in User.objects.filter(username__startswith="seed-"):
        assert user.tasks.count() == 7
        assert user.check_password("seed-password")
    for task in Task.objects.all():
        assert task.title.strip() and len(task.title) <= 200
        assert task.created_at <= task.updated_at <= timezone.now()
        assert (task.completed_at is not None) is task.completed
    assert_seeded_by_the_rules(lists_per_user=3)  # the default


def test_seed_tasks_spreads_tasks_over_lists_with_a_share_of_subtasks():
    output = run(
        "seed_tasks", "--users", "2", "--tasks-per-user", "400",
        "--lists-per-user", "5", "--subtask-share", "0.3",
    )  # fmt: skip

    tasks = list(Task.objects.select_related("parent__parent"))
    subtasks = [task for task in tasks if task.parent_id is not None]
    assert f"(10 lists, {len(subtasks)} subtasks)" in output
    assert 0.2 < len(subtasks) / len(tasks) < 0.4
    assert any(depth(task) >= 3 for task in subtasks)  # some nest deeper
    for user in User.objects.filter(username__startswith="seed-"):
        assert user.task_lists.filter(tasks__isnull=False).distinct().count() == 5
    assert_seeded_by_the_rules(lists_per_user=5)


@pytest.mark.parametrize(("share", "lists"), [("0", "1"), ("1", "1"), ("1", "2")])
def test_seed_tasks_keeps_the_rules_at_either_extreme(share, lists):
    run(
        "seed_tasks", "--users", "2", "--tasks-per-user", "60",
        "--lists-per-user", lists, "--subtask-share", share,
    )  # fmt: skip

    subtasks = Task.objects.filter(parent__isnull=False).count()
    if share == "0":
        assert subtasks == 0
    else:  # all but each user's first task, however deep the chains would go
        assert subtasks == 2 * 59
    assert_seeded_by_the_rules(lists_per_user=int(lists))


def test_seed_tasks_keeps_to_the_limits_of_children_and_of_tasks_per_list(
    monkeypatch,
):
    monkeypatch.setattr(seed_tasks, "CHILDREN_PER_TASK", 2)
    monkeypatch.setattr(seed_tasks, "TASKS_PER_LIST", 20)

    run(
        "seed_tasks", "--users", "1", "--tasks-per-user", "60",
        "--lists-per-user", "3", "--subtask-share", "0.9",
    )  # fmt: skip

    children = Task.objects.values("parent").annotate(n=Count("pk"))
    assert max(row["n"] for row in children if row["parent"]) == 2
    per_list = TaskList.objects.annotate(n=Count("tasks")).values_list("n", flat=True)
    assert sorted(per_list) == [20, 20, 20]
    assert_seeded_by_the_rules(lists_per_user=3)


def test_seed_tasks_is_reproducible_with_the_same_seed():
    def lists() -> list[tuple]:
        return list(
            TaskList.objects.order_by("owner__username", "position").values_list(
                "owner__username", "name", "color", "position", "is_inbox", "created_at"
            )
        )

    run("seed_tasks", "--users", "2", "--tasks-per-user", "30", "--seed", "7")
    first = seeded(), lists()
    User.objects.all().delete()

    run("seed_tasks", "--users", "2", "--tasks-per-user", "30", "--seed", "7")
    again = seeded(), lists()
    User.objects.all().delete()
    run("seed_tasks", "--users", "2", "--tasks-per-user", "30", "--seed", "8")

    assert again == first  # timestamps, lists and places included
    assert any(row[-2] for row in first[0])  # subtasks among them
    assert seeded() != first[0]
    assert lists() != first[1]


def test_seed_tasks_refuses_to_reuse_a_prefix():
    run("seed_tasks", "--users", "1", "--tasks-per-user", "1")

    with pytest.raises(CommandError, match="exist already"):
        run("seed_tasks", "--users", "1", "--tasks-per-user", "1")
    run("seed_tasks", "--users", "1", "--tasks-per-user", "1", "--prefix", "more")
    assert User.objects.count() == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--users", "0"],
        ["--tasks-per-user", "-1"],
        ["--lists-per-user", "0"],
        ["--lists-per-user", "501"],
        ["--subtask-share", "-0.1"],
        ["--subtask-share", "1.5"],
        ["--tasks-per-user", "20001", "--lists-per-user", "2"],
    ],
)
def test_seed_tasks_refuses_bad_numbers(args):
    with pytest.raises(CommandError):
        run("seed_tasks", *args)
    assert not User.objects.exists()


# purge_tasks


@pytest.fixture
def history():
    """Tasks completed 40 and 5 days ago, and an open one, for two users."""
    now = timezone.now()
    owners = [UserFactory(username="ann"), UserFactory(username="bob")]
    made = {}
    for owner in owners:
        for name, days in [("old", 40), ("recent", 5)]:
            task = TaskFactory(owner=owner, completed=True, title=f"{owner}-{name}")
            Task.objects.filter(pk=task.pk).update(
                completed_at=now - timedelta(days=days)
            )
            made[f"{owner}-{name}"] = task
        made[f"{owner}-open"] = TaskFactory(owner=owner, title=f"{owner}-open")
    return made


def titles() -> set[str]:
    return set(Task.objects.values_list("title", flat=True))


def test_purge_dry_run_counts_and_deletes_nothing(history):
    output = run("purge_tasks", "--completed-before", "30", "--dry-run")

    assert "Would delete 2 tasks completed before" in output
    assert "by user (most first): ann 1, bob 1" in output
    assert len(titles()) == 6


def test_purge_deletes_only_tasks_completed_before_the_cutoff(history):
    output = run(
        "purge_tasks", "--completed-before", "30", "--no-input", "--batch-size", "1"
    )

    assert "Deleted 2 tasks." in output
    assert "deleted 1 of 2" in output
    assert titles() == {"ann-recent", "ann-open", "bob-recent", "bob-open"}


def test_purge_for_one_user(history):
    run("purge_tasks", "--completed-before", "0", "--user", "bob", "--no-input")

    assert titles() == {"ann-old", "ann-recent", "ann-open", "bob-open"}


def test_purge_asks_first_and_cancels_unless_told_yes(history, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    with pytest.raises(CommandError, match="Cancelled"):
        run("purge_tasks", "--completed-before", "30")
    assert len(titles()) == 6

    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    run("purge_tasks", "--completed-before", "30")
    assert len(titles()) == 4


def test_purge_without_a_terminal_asks_for_no_input(history, monkeypatch):
    def no_terminal(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)

    with pytest.raises(CommandError, match="--no-input"):
        run("purge_tasks", "--completed-before", "30")
    assert len(titles()) == 6


def test_purge_with_nothing_to_delete_says_so(history):
    output = run("purge_tasks", "--completed-before", "365", "--no-input")

    assert output.startswith("Nothing to delete")


@pytest.mark.parametrize(
    "args",
    [
        ["--completed-before", "-1"],
        ["--completed-before", "3000000"],
        ["--completed-before", "30", "--user", "nobody"],
        ["--completed-before", "30", "--batch-size", "0"],
    ],
)
def test_purge_refuses_mistakes(history, args):
    with pytest.raises(CommandError):
        run("purge_tasks", *args, "--no-input")
    assert len(titles()) == 6


# export_tasks and import_tasks


def snapshot(user) -> list[tuple]:
    # Every field an export carries (the JSON test below names them one by one);
    # tags by name, as ids differ between users.
    fields = [name for name in transfer.FIELDS if name != "tags"]
    tasks = user.tasks.order_by("created_at", "id")
    return [
        (*values, sorted(task.tags.values_list("name", flat=True)))
        for values, task in zip(tasks.values_list(*fields), tasks, strict=True)
    ]


AWKWARD_TAGS = ['comma, "quote"', "Ünï ✓"]

AWKWARD_TEXT = [
    ('Quotes " and, commas', "line\nbreak"),
    ("Ünïcödé ✓", "  leading and trailing whitespace \t"),
    ("Windows", "crlf\r\nline\rbreaks"),
    ("Separators", "line\u2028separator, next\x85line, form\x0cfeed"),
    ("'single' and \\backslash", ""),
]


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_export_then_import_loses_nothing(tmp_path, file_format):
    source, target = UserFactory(), UserFactory()
    for n, (title, description) in enumerate(AWKWARD_TEXT):
        task = TaskFactory(
            owner=source, title=title, description=description, completed=n % 2 == 0
        )
        # Old, to the microsecond: not "now" by accident.
        stamp = timezone.now() - timedelta(days=400 + n, microseconds=n * 1111)
        Task.objects.filter(pk=task.pk).update(
            created_at=stamp,
            updated_at=stamp + timedelta(hours=1),
            completed_at=stamp + timedelta(minutes=30) if n % 2 == 0 else None,
            priority=n % 4,
            due_at=stamp + timedelta(days=3) if n % 3 == 1 else None,
            due_date=(stamp + timedelta(days=5)).date() if n % 3 == 2 else None,
            deleted_at=stamp + timedelta(days=9) if n == 4 else None,  # in the trash
        )
        task.tags.set(tags_named(source, AWKWARD_TAGS[: n % 3]))
    path = tmp_path / f"tasks.{file_format}"

    run("export_tasks", "--user", source.username, "--output", str(path))
    output = run("import_tasks", str(path), "--user", target.username)

    assert f"Imported {len(AWKWARD_TEXT)} tasks" in output
    assert snapshot(target) == snapshot(source)


def test_export_to_stdout_is_a_json_document():
    owner = UserFactory()
    TaskFactory.create_batch(2, owner=owner)

    document = json.loads(run("export_tasks", "--user", owner.email))

    assert document["version"] == 2
    assert len(document["tasks"]) == 2
    assert set(document["tasks"][0]) == {
        "key", "list", "parent", "title", "description", "completed",
        "completed_at", "priority", "due_at", "due_date", "tags", "created_at",
        "updated_at", "deleted_at",
    }  # fmt: skip


def test_export_csv_has_a_header_and_one_row_per_task():
    owner = UserFactory()
    TaskFactory.create_batch(3, owner=owner)

    text = run("export_tasks", "--user", owner.username, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))

    assert len(rows) == 3
    assert rows[0]["completed"] in {"true", "false"}


def test_import_reports_every_bad_row_with_its_line_and_imports_nothing(tmp_path):
    owner = UserFactory()
    path = tmp_path / "bad.json"
    path.write_text(
        '{"tasks": [\n'
        '  {"title": "fine"},\n'
        '  {"title": "   "},\n'
        '  {"title": "x", "completed": "yes"},\n'
        "\n"
        '  {"title": "' + "t" * 201 + '"}\n'
        "]}\n"
    )

    with pytest.raises(CommandError) as error:
        run("import_tasks", str(path), "--user", owner.username)

    message = str(error.value)
    assert "nothing imported" in message
    assert "line 3: title: This field may not be blank." in message
    assert "line 4: completed: Must be true or false." in message
    assert (
        "line 6: title: Ensure this field has no more than 200 characters." in message
    )
    assert "line 2" not in message
    assert not Task.objects.exists()


def test_import_csv_reports_line_numbers(tmp_path):
    owner = UserFactory()
    path = tmp_path / "bad.csv"
    path.write_text("title,completed\nfine,false\n,true\nok,maybe\n")

    with pytest.raises(CommandError) as error:
        run("import_tasks", str(path), "--user", owner.username)

    assert "line 3: title" in str(error.value)
    assert "line 4: completed" in str(error.value)
    assert not Task.objects.exists()


def test_import_a_minimal_csv_fills_in_the_rest(tmp_path):
    owner = UserFactory()
    path = tmp_path / "simple.csv"
    path.write_text("title,completed\nWater plants,true\nCall Sam,\n")

    run("import_tasks", str(path), "--user", owner.username)

    done, todo = owner.tasks.order_by("title").reverse()
    assert (done.title, done.completed, done.completed_at is not None) == (
        "Water plants", True, True
    )  # fmt: skip
    assert (todo.completed, todo.completed_at) == (False, None)


def test_import_reads_a_byte_order_mark(tmp_path):
    owner = UserFactory()
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftitle\nFrom a spreadsheet\n".encode())

    run("import_tasks", str(path), "--user", owner.username)

    assert owner.tasks.get().title == "From a spreadsheet"


def test_json_rows_carry_the_line_they_start_on():
    rows = ",\n\n".join(json.dumps({"title": f"task {n}"}) for n in range(500))
    text = '{"version": 1,\n "tasks": [\n' + rows + "\n]}"

    lines = [line for line, _ in transfer.read_rows(text, "json")]

    assert lines == [3 + 2 * n for n in range(500)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.json", "{not json", "Not valid JSON"),
        ("a.json", '{"items": []}', 'no "tasks" list'),
        ("a.json", '"just a string"', "Expected"),
        ("a.json", '{"tasks": [], "tasks": []}', "Duplicate keys"),
        ("a.json", '{"version": 3, "tasks": []}', "Unknown file version"),
        ("a.csv", "title,description\na,b,c\n", "line 2 has 3 fields"),
        ("a.csv", "title,description\nonly\n", "line 2 has 1 fields"),
        ("a.csv", "name\nx\n", 'no header row with a "title"'),
        ("a.csv", "title,colour\nx,red\n", "Unknown CSV columns: colour"),
    ],
)
def test_import_refuses_unreadable_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)

    with pytest.raises(CommandError, match=message):
        run("import_tasks", str(path), "--user", UserFactory().username)


def test_import_refuses_a_missing_file_and_an_unknown_user(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(
            "import_tasks",
            str(tmp_path / "nope.json"),
            "--user",
            UserFactory().username,
        )
    with pytest.raises(CommandError, match="No user"):
        run("import_tasks", str(tmp_path / "nope.json"), "--user", "ghost")


# create_token


def test_create_token_prints_a_working_token_once():
    owner = UserFactory()

    token = run("create_token", "--user", owner.username, "--expiry", "12h").strip()

    client = bearer(token)
    assert client.get("/api/v1/users/me/").json()["username"] == owner.username
    stored = AuthToken.objects.get(user=owner)
    assert token not in stored.digest
    assert timedelta(hours=11) < stored.expiry - timezone.now() <= timedelta(hours=12)


def test_create_token_that_never_expires():
    owner = UserFactory()

    run("create_token", "--user", owner.username, "--expiry", "never")

    assert AuthToken.objects.get(user=owner).expiry is None


@pytest.mark.parametrize(
    "expiry", ["0d", "10", "1w", "soon", "99999999d", "9999999h", "3651d"]
)
def test_create_token_refuses_bad_expiry(expiry):
    with pytest.raises(CommandError, match="--expiry"):
        run("create_token", "--user", UserFactory().username, "--expiry", expiry)
    assert not AuthToken.objects.exists()


def test_create_token_refuses_inactive_users():
    with pytest.raises(CommandError, match="inactive"):
        run("create_token", "--user", UserFactory(is_active=False).username)


# task_stats


def test_task_stats_reports_totals_distribution_busiest_and_oldest():
    busy, quiet = UserFactory(username="busy"), UserFactory(username="quiet")
    UserFactory(username="idle")
    TaskFactory.create_batch(4, owner=busy)
    TaskFactory(owner=busy, completed=True)
    oldest = TaskFactory(owner=quiet, title="Ancient chore")
    Task.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    TaskFactory(owner=busy, deleted_at=timezone.now())  # counted apart

    output = run("task_stats", "--top", "2")

    assert "users 3, tasks 6: 5 open, 1 done (16.7% done); 1 in the trash" in output
    assert "users with tasks 2, without 1; min 1, median 3, p90 5" in output
    busiest = output.split("Busiest users")[1].split("Oldest")[0]
    assert busiest.index("busy") < busiest.index("quiet")
    assert "400 days  quiet" in output and "Ancient chore" in output


def test_task_stats_on_an_empty_database():
    assert "no tasks yet" in run("task_stats")


def test_import_names_a_row_with_two_deadlines(tmp_path):
    owner = UserFactory()
    path = tmp_path / "tasks.json"
    path.write_text(
        json.dumps(
            [
                {
                    "title": "both",
                    "due_at": "2026-12-01T09:00:00Z",
                    "due_date": "2026-12-01",
                }
            ]
        )
    )

    with pytest.raises(CommandError, match="line 1: due_date"):
        run("import_tasks", str(path), "--user", owner.username)
    assert not owner.tasks.exists()
