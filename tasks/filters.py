import copy
from datetime import UTC

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from api.fields import ID_SCHEMA, MAX_ID
from api.schema import WHITESPACE

from .models import TAG_NAME_MAX_LENGTH, TAGS_PER_TASK, Priority, Tag, Task, TaskList

SEARCH_MAX_LENGTH = 200
# Each word costs a pass over the caller's tags and a few comparisons per
# task; repeats count, so that the schema's pattern can state the cap.
MAX_SEARCH_WORDS = 10


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(django_filters.TypedChoiceFilter):
    """Exactly `true` or `false`; anything else is a 400 rather than no filter."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


# With a schema of its own, drf-spectacular takes the description from it.
@extend_schema_field(
    {
        "type": "string",
        "enum": list(Priority.labels),
        "description": "Only tasks of this priority.",
    }
)
class PriorityFilter(django_filters.TypedChoiceFilter):
    """A priority by its name; the column holds its number."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(label, label) for label in Priority.labels])
        kwargs.setdefault(
            "coerce", lambda label: Priority.values[Priority.labels.index(label)]
        )
        super().__init__(*args, **kwargs)


class NamesField(forms.Field):
    """Every value of a repeated query parameter (`?tag=a&tag=b`)."""

    widget = forms.SelectMultiple

    def to_python(self, value) -> list[str]:
        names = [name.strip() for name in value or []]
        if len(names) > TAGS_PER_TASK:  # no task could match more
            raise forms.ValidationError(f"At most {TAGS_PER_TASK} tags.")
        for name in names:
            if not name or len(name) > TAG_NAME_MAX_LENGTH or "\x00" in name:
                raise forms.ValidationError(
                    f"Tag names are 1 to {TAG_NAME_MAX_LENGTH} characters, "
                    "without null characters."
                )
        return names


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class AllTagsFilter(django_filters.Filter):
    """Tasks that carry every one of the tags named (ignoring case)."""

    field_class = NamesField

    def filter(self, qs: QuerySet[Task], value: list[str]) -> QuerySet[Task]:
        through = Task.tags.through.objects
        for name in value:
            qs = qs.filter(
                Exists(through.filter(task=OuterRef("pk"), tag__name__iexact=name))
            )
        return qs


def _few_enough_words(value: str) -> None:
    if len(value.split()) > MAX_SEARCH_WORDS:
        raise forms.ValidationError(
            f"At most {MAX_SEARCH_WORDS} words, repeats included."
        )


@extend_schema_field(
    {
        "type": "string",
        "maxLength": SEARCH_MAX_LENGTH,
        # 0 to MAX_SEARCH_WORDS runs of anything but whitespace (as str.split
        # finds words) and null characters (refused before any view).
        "pattern": rf"^[{WHITESPACE}]*(?:[^{WHITESPACE}\x00]+(?:[{WHITESPACE}]+|$))"
        rf"{{0,{MAX_SEARCH_WORDS}}}$",
        "description": f"At most {MAX_SEARCH_WORDS} words (repeats included) in "
        f"{SEARCH_MAX_LENGTH} characters, each of which must appear in the title, "
        "the description or one of your tag names on the task (case-insensitive).",
    }
)
class SearchFilter(django_filters.CharFilter):
    """Words, each to be found somewhere in the task (TaskFilter.filter_search)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        # Counted as sent, as the schema's maxLength counts: unstripped.
        kwargs.setdefault("strip", False)
        kwargs.setdefault("validators", [_few_enough_words])
        super().__init__(*args, **kwargs)


def parse_id(value: str) -> int | None:
    """A whole number from 1 to MAX_ID, as digits only ("1.0", "+1": None)."""
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID:
        return int(value)
    return None


class IdField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        number = parse_id(value)
        if number is None:
            raise forms.ValidationError("An id: a whole number from 1.")
        return number


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.Filter):
    """An id: a whole number from 1 up."""

    field_class = IdField


class ParentField(forms.Field):
    """A task's id, or "none" for the top level."""

    def to_python(self, value):
        if value in (None, "", "none"):
            return value or None
        number = parse_id(value)
        if number is None:
            raise forms.ValidationError('A task id, or "none".')
        return number


@extend_schema_field(
    {
        "oneOf": [ID_SCHEMA, {"type": "string", "enum": ["none"]}],
        "description": 'Only the subtasks of this task; "none": only top-level tasks.',
    }
)
class ParentFilter(django_filters.Filter):
    field_class = ParentField

    def filter(self, qs, value):
        if value is None:
            return qs
        if value == "none":
            return qs.filter(parent__isnull=True)
        return qs.filter(parent_id=value)


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, turned into UTC before it reaches the database.

    Python accepts offsets up to +-23:59, PostgreSQL only up to +-15:59; in
    UTC every offset is fine, and a time that has no UTC equivalent (year 1
    minus an offset) is a 400.
    """

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None or timezone.is_naive(moment):
            return moment
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("This time is out of range.") from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class TaskOrderingFilter(django_filters.OrderingFilter):
    """django-filter's ordering, with tasks without a deadline last either way."""

    def get_ordering_value(self, param: str):
        value = super().get_ordering_value(param)
        if value.lstrip("-") != "due_by":
            return value
        if value.startswith("-"):
            return F("due_by").desc(nulls_last=True)
        return F("due_by").asc(nulls_last=True)


class ShallowCopiedFilters(dict):
    """A FilterSet's base_filters that copy shallowly.

    django-filter deep-copies every declared filter for each request (choices,
    labels, ordering maps and all): a seventh of a filtered list request. A
    filter only needs copying because the FilterSet sets its `parent` and
    `model`, and a `method` filter must call its own copy's parent.
    """

    def __deepcopy__(self, memo) -> dict:
        copies = {}
        for name, filter_ in self.items():
            clone = copy.copy(filter_)
            if filter_.method is not None:
                clone.method = filter_.method  # bound to the clone, not the original
            copies[name] = clone
        return copies


class StrictFilterSet(django_filters.FilterSet):
    """django-filter reads an empty value as "no filter"; a client that sends
    ?due_after= has a bug worth hearing about (400)."""

    may_be_empty: frozenset[str] = frozenset()

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if name in self.may_be_empty or name in self.form.errors:
                continue
            if "" in self.data.getlist(name):
                self.form.add_error(name, "May not be empty; leave it out instead.")
        return valid and not self.form.errors


class TaskFilter(StrictFilterSet):
    """Query parameters of the task list; an invalid value is a 400, never ignored."""

    completed = BooleanFilter(
        help_text="Only completed (true) or only open (false) tasks."
    )
    priority = PriorityFilter()
    tag = AllTagsFilter(
        help_text="Only tasks with this tag (ignoring case); repeat it for tasks "
        "that have all the tags given."
    )
    due_before = UTCDateTimeFilter(
        field_name="due_by",
        lookup_expr="lt",
        help_text="Only tasks due before this time (ISO 8601). A task with a "
        "due_date is due by the end of that day, UTC.",
    )
    due_after = UTCDateTimeFilter(
        field_name="due_by",
        lookup_expr="gte",
        help_text="Only tasks due at or after this time (ISO 8601).",
    )
    overdue = BooleanFilter(
        method="filter_overdue",
        help_text="true: open tasks whose deadline has passed; false: all others.",
    )
    has_due = BooleanFilter(
        field_name="due_by",
        lookup_expr="isnull",
        exclude=True,
        help_text="Only tasks with (true) or without (false) a deadline.",
    )
    search = SearchFilter(method="filter_search")
    ordering = TaskOrderingFilter(
        fields=[
            "created_at",
            "updated_at",
            "title",
            "completed",
            "priority",
            ("due_by", "due_at"),
            "position",
        ],
        help_text="Sort field; prefix with - for descending. Default: -created_at. "
        "due_at sorts tasks without a deadline last, either way. position is your "
        "manual order (compare siblings: tasks with the same list and parent).",
    )
    list = IdFilter(
        field_name="list_id",
        help_text="Only the tasks of this list of yours (an archived one too); "
        "a list you do not have is a 400.",
    )
    parent = ParentFilter()

    class Meta:
        model = Task
        fields = ["completed", "search"]

    # An empty search is still a search for everything.
    may_be_empty = frozenset({"search"})

    def get_form_class(self):
        # The form depends only on the declared filters, so one class serves
        # every request; django-filter builds a new one each time (a tenth of
        # a filtered list request).
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def filter_overdue(
        self, queryset: QuerySet[Task], name: str, value: bool
    ) -> QuerySet[Task]:
        overdue = Q(completed=False, due_by__lt=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_search(
        self, queryset: QuerySet[Task], name: str, value: str
    ) -> QuerySet[Task]:
        tagged = Task.tags.through.objects
        # The caller's tags, by the caller's id: correlated on the task's owner
        # instead, PostgreSQL may hash the matching tags of every user (a scan
        # of the whole tag table, 10 ms at 60,000 tags).
        own_tags = Tag.objects.readable_by(self.request.user)
        words: dict[str, str] = {}
        for word in value.split():
            words.setdefault(word.lower(), word)  # the same word twice: once
        for word in words.values():
            # The tasks a word's tags are on, as a subquery that does not name
            # the task: it runs once and is hashed. PostgreSQL costs a
            # correlated EXISTS per task instead, and a few words put that
            # estimate past jit_above_cost: compiling the query then took ten
            # times as long as running it.
            with_tag = tagged.filter(tag__in=own_tags.filter(name__icontains=word))
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(description__icontains=word)
                | Q(pk__in=with_tag.values("task_id"))
            )
        return queryset

    def filter_queryset(self, queryset: QuerySet[Task]) -> QuerySet[Task]:
        queryset = super().filter_queryset(queryset)
        # Ties on the chosen field are broken by id, so that pages never
        # repeat or skip a task: newest first, but in manual order oldest first.
        ordering = self.form.cleaned_data.get("ordering")
        if ordering:
            tie = "id" if ordering == ["position"] else "-id"
            queryset = queryset.order_by(*queryset.query.order_by, tie)
        return queryset


TaskFilter.base_filters = ShallowCopiedFilters(TaskFilter.base_filters)


class TaskListFilter(StrictFilterSet):
    archived = BooleanFilter(
        field_name="archived_at",
        lookup_expr="isnull",
        exclude=True,
        help_text="true: only your archived lists; false (the default): the others.",
    )

    class Meta:
        model = TaskList
        fields = ["archived"]
