from typing import Any

from django.conf import settings
from django.db import models, router, transaction
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThan

from .expressions import whitespace_as_spaces
from .sync import SyncedModel, SyncedQuerySet

TAG_NAME_MAX_LENGTH = 50


class TagQuerySet(SyncedQuerySet):
    """Tags are their owner's alone (OwnedQuerySet's rule)."""


class Tag(SyncedModel):
    """A user's label for tasks; its name is unique per user, ignoring case."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tags",
        db_index=False,  # the unique (owner, lower(name)) index leads with owner
    )
    name = models.CharField(max_length=TAG_NAME_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TagQuerySet.as_manager()

    # Set on tags read by the /tags/ endpoint (an annotation), not a column.
    task_count: int
    # The name as read from the database, to tell a rename on save.
    _saved_name: str | None

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                name="tag_owner_name_unique",
                violation_error_message="You already have a tag with this name.",
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim(whitespace_as_spaces("name"))), 0),
                name="tag_name_not_blank",
                violation_error_message="Tag names may not be blank.",
            ),
        ]
        indexes = [
            # The change feed: one user's tags by change number.
            models.Index(fields=["owner", "change_seq"], name="tag_owner_seq_idx")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, *args, **kwargs) -> "Tag":
        tag = super().from_db(*args, **kwargs)
        tag._saved_name = tag.__dict__.get("name")  # to tell a rename on save
        return tag

    def save(self, *args, **kwargs) -> None:
        renaming = not self._state.adding and self.name != getattr(
            self, "_saved_name", None
        )
        using = kwargs.get("using") or router.db_for_write(Tag, instance=self)
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)
            if renaming:  # its tasks show its name
                self.tasks.touch()
            self._saved_name = self.name

    @classmethod
    def deleting(cls, pks: list[int], using: str) -> None:
        # Their tasks lose them. The Task model through the relation: its
        # module imports this one.
        task: Any = cls._meta.get_field("tasks").related_model
        task._default_manager.using(using).filter(tags__in=pks).touch()
