import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import Task


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(django_filters.TypedChoiceFilter):
    """Exactly `true` or `false`; anything else is a 400 rather than no filter."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class TaskFilter(django_filters.FilterSet):
    """Query parameters of the task list; an invalid value is a 400, never ignored."""

    completed = BooleanFilter(
        help_text="Only completed (true) or only open (false) tasks."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Words (200 characters at most) that must all appear in the "
        "title or description (case-insensitive).",
    )
    ordering = django_filters.OrderingFilter(
        fields=["created_at", "updated_at", "title", "completed"],
        help_text="Sort field; prefix with - for descending. Default: -created_at.",
    )

    class Meta:
        model = Task
        fields = ["completed", "search"]

    def get_form_class(self):
        # The form depends only on the declared filters, so one class serves
        # every request; django-filter builds a new one each time (a tenth of
        # a filtered list request).
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def filter_search(
        self, queryset: QuerySet[Task], name: str, value: str
    ) -> QuerySet[Task]:
        for word in value.split():
            queryset = queryset.filter(
                Q(title__icontains=word) | Q(description__icontains=word)
            )
        return queryset

    def filter_queryset(self, queryset: QuerySet[Task]) -> QuerySet[Task]:
        queryset = super().filter_queryset(queryset)
        # Ties on the chosen field are broken by id, newest first, so that pages
        # never repeat or skip a task.
        if self.form.cleaned_data.get("ordering"):
            queryset = queryset.order_by(*queryset.query.order_by, "-id")
        return queryset
