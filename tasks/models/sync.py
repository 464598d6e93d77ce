"""What a client needs to follow a user's changes (GET /api/v1/sync/).

Every write to a user's tasks or tags takes the next number from that user's
ChangeClock and stamps it on the rows it writes (`change_seq`); a deletion
leaves a Tombstone carrying its number. Taking a number updates the clock's
row, which stays locked until the transaction ends, so a second writer for the
same user waits for the first to commit before it gets its number: numbers
follow the order in which a user's changes commit, whatever the clocks of the
machines say. A reader that sees number N therefore sees every number below
it, and a feed that remembers the last number it served skips nothing.

The stamping lives here, in the models and querysets, rather than in the
views: the API, the admin and the commands all write through these methods.
So does what must follow every write: the owner's cached task list is renewed
once the write commits (speedups.page_cache).
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import cast

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models import Func, Value

from api.access import OwnedQuerySet

from ..speedups import page_cache

# Days the change feed remembers deletions (`purge_tombstones` forgets older
# ones): a client that has not synced for longer must sync from scratch.
SYNC_HISTORY_DAYS = 90


class ChangeClockQuerySet(OwnedQuerySet):
    def advance(self, owner_id: int) -> int:
        """The owner's next change number, locking the owner's clock until the
        current transaction ends (which it must be in)."""
        if not transaction.get_connection(self.db).in_atomic_block:
            # Outside a transaction the lock would end before the change
            # commits, and a later number could commit first.
            raise transaction.TransactionManagementError(
                "A change number must be taken inside the transaction that "
                "writes the change."
            )
        connection = connections[self.db]
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            # One statement for the first change and every later one; PostgreSQL
            # and SQLite (3.35+) both upsert and return the new value.
            # The table name is the model's own, quoted; the value is a parameter.
            sql = (
                f"INSERT INTO {table} (owner_id, seq, pruned_through) "  # noqa: S608
                "VALUES (%s, 1, 0) ON CONFLICT (owner_id) "
                f"DO UPDATE SET seq = {table}.seq + 1 RETURNING seq"
            )
            cursor.execute(sql, [owner_id])
            seq = cursor.fetchone()[0]
        page_cache.changed(owner_id)
        return seq


class NextChangeNumber(Func):
    """The owner's next change number, taken by the statement that writes the
    change: `ChangeClockQuerySet.advance` inside it (PostgreSQL only; the SQL
    function comes with migration 0009)."""

    function = "tasks_next_change_seq"
    output_field = models.BigIntegerField()

    def __init__(self, owner_id: int) -> None:
        super().__init__(Value(owner_id))


class ChangeClock(models.Model):
    """The last change number given out for one user's tasks and tags."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    seq = models.BigIntegerField(default=0)
    # Tombstones numbered up to this one may have been purged: a cursor at or
    # below it can no longer be followed (410, sync again from scratch).
    pruned_through = models.BigIntegerField(default=0)

    objects = ChangeClockQuerySet.as_manager()

    def __str__(self) -> str:
        return f"change {self.seq} of user {self.owner_id}"


class TombstoneQuerySet(OwnedQuerySet):
    def record(self, kind: str, rows: Iterable[tuple[int, int]]) -> None:
        """Leave a tombstone for each (owner id, object id) about to be deleted."""
        by_owner: dict[int, list[int]] = defaultdict(list)
        for owner_id, object_id in rows:
            by_owner[owner_id].append(object_id)
        tombstones = []
        # In owner order, so that two such deletions cannot deadlock on clocks.
        for owner_id in sorted(by_owner):
            seq = ChangeClock.objects.db_manager(self.db).advance(owner_id)
            tombstones += [
                self.model(owner_id=owner_id, kind=kind, object_id=pk, change_seq=seq)
                for pk in by_owner[owner_id]
            ]
        self.bulk_create(tombstones, batch_size=1000)


class Tombstone(models.Model):
    """A task, tag or list deleted for good, as the change feed reports it."""

    class Kind(models.TextChoices):
        TASK = "task"
        TAG = "tag"
        LIST = "list"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tombstones",
        db_index=False,  # the (owner, change_seq) index leads with owner
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.BigIntegerField()
    change_seq = models.BigIntegerField()
    deleted_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TombstoneQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["owner", "change_seq"], name="tombstone_owner_seq_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} (deleted)"


class SyncedQuerySet(OwnedQuerySet):
    """A queryset whose bulk writes show in their owners' change feeds."""

    def update(self, **kwargs) -> int:
        if {"owner", "owner_id"} & set(kwargs):
            # The old owner would need tombstones: move rows with save().
            raise TypeError("Change a row's owner with save(), not update().")
        with transaction.atomic(using=self.db, savepoint=False):
            changed = 0
            for owner_id in self._owner_ids():
                kwargs["change_seq"] = ChangeClock.objects.db_manager(self.db).advance(
                    owner_id
                )
                changed += models.QuerySet.update(
                    self.filter(owner_id=owner_id), **kwargs
                )
            return changed

    def update_owned(self, owner_id: int, **kwargs) -> int:
        """update() of rows that all belong to `owner_id`, with no query to find
        their owners: on PostgreSQL one statement, each row taking its own
        change number (ChangeClock.advance, in SQL)."""
        rows = self.filter(owner_id=owner_id)
        if connections[self.db].vendor == "postgresql":
            changed = models.QuerySet.update(
                rows, change_seq=NextChangeNumber(owner_id), **kwargs
            )
            page_cache.changed(owner_id)
            return changed
        with transaction.atomic(using=self.db, savepoint=False):
            seq = ChangeClock.objects.db_manager(self.db).advance(owner_id)
            return models.QuerySet.update(rows, change_seq=seq, **kwargs)

    def touch(self) -> int:
        """Show these rows in the change feed again (what they show changed)."""
        return self.update()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        clock = ChangeClock.objects.db_manager(self.db)
        with transaction.atomic(using=self.db, savepoint=False):
            numbers = {
                owner_id: clock.advance(owner_id)
                for owner_id in sorted({obj.owner_id for obj in objs})
            }
            for obj in objs:
                obj.change_seq = numbers[obj.owner_id]
            return super().bulk_create(objs, *args, **kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        with transaction.atomic(using=self.db, savepoint=False):
            rows = list(self.order_by().values_list("owner_id", "pk"))
            model = cast(type[SyncedModel], self.model)
            Tombstone.objects.db_manager(self.db).record(model.kind(), rows)
            pks = [pk for _, pk in rows]
            model.deleting(pks, using=self.db)
            # Exactly the rows tombstoned, through a plain queryset.
            exact = self.model._base_manager.using(self.db).filter(pk__in=pks)
            return models.QuerySet.delete(exact)

    def _owner_ids(self) -> list[int]:
        # Sorted, so that two bulk writes cannot deadlock on the owners' clocks.
        owners = self.order_by().values_list("owner_id", flat=True).distinct()
        return sorted(owners)


class SyncedModel(models.Model):
    """A model a user owns, whose every change the user's change feed shows."""

    owner_id: int
    # The owner's change number of this row's last change. With a db_default,
    # an INSERT returns the value the database gave it (see save()).
    change_seq = models.BigIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "change_seq"}
        if connections[using].vendor != "postgresql":
            with transaction.atomic(using=using, savepoint=False):
                self.change_seq = ChangeClock.objects.db_manager(using).advance(
                    self.owner_id
                )
                super().save(*args, **kwargs)
            return
        # The INSERT or UPDATE takes the number itself, and the clock stays
        # locked until that statement's transaction commits: a save is one
        # round trip, and needs no transaction of its own.
        self.change_seq = NextChangeNumber(self.owner_id)
        try:
            super().save(*args, **kwargs)
            # After the write: outside a transaction, on_commit renews at once,
            # and a list read before the row is written would be cached as new.
            page_cache.changed(self.owner_id)
        finally:
            if not isinstance(self.change_seq, int):
                # An INSERT returns the number (the field has a db_default);
                # an UPDATE does not: the row's number is read if asked for
                # (this save's, or a later save's of the same row).
                del self.__dict__["change_seq"]

    def touch(self) -> None:
        """Show this row in the change feed again (what it shows changed)."""
        using = router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            self.change_seq = ChangeClock.objects.db_manager(using).advance(
                self.owner_id
            )
            rows = type(self)._base_manager.using(using).filter(pk=self.pk)
            rows.update(change_seq=self.change_seq)

    def delete(self, using=None, keep_parents=False):
        using = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            Tombstone.objects.db_manager(using).record(
                self.kind(), [(self.owner_id, self.pk)]
            )
            type(self).deleting([self.pk], using=using)
            return super().delete(using=using, keep_parents=keep_parents)

    @classmethod
    def kind(cls) -> str:
        """What the change feed calls it: its model's name (a Tombstone.Kind)."""
        return cls._meta.model_name or ""

    @classmethod
    def deleting(cls, pks: list[int], using: str) -> None:
        """These rows are about to be deleted: what else does the feed need?"""
