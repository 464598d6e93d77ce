"""Tags by name: how a task's payload names them."""

from django.db.models import Value
from django.db.models.functions import Lower
from rest_framework.exceptions import ErrorDetail, ValidationError

from api.problems import CONFLICT

from .models import Tag

# How many tags a client may give an account: the tags list is one unpaginated
# answer, and every tagged write reads them all. Operators' tools (the admin,
# import_tasks) are not held to it.
TAGS_PER_USER = 500


def check_room(
    owner, adding: int = 0, existing: int | None = None, field: str | None = None
) -> None:
    """A 409 (a ValidationError naming `field`, None for the request) unless
    the owner can have `adding` more tags than `existing` (counted if None).

    Exact when the caller has already written in this transaction on
    PostgreSQL: the write took the owner's change clock, which a concurrent
    writer for the same owner waits on, so the count sees its tags too.
    """
    if existing is None:
        existing = Tag.objects.writable_by(owner).count()
    if existing + adding > TAGS_PER_USER:
        message = ErrorDetail(
            f"An account can have {TAGS_PER_USER} tags: delete some, or use the "
            "ones you have.",
            code=CONFLICT,
        )
        raise ValidationError({field: [message]} if field else [message])


def tags_named(owner, names: list[str], limited: bool = False) -> list[Tag]:
    """The owner's tags with these names, ignoring case, in the order given;
    the missing ones are created (spelled as given), within TAGS_PER_USER if
    `limited`.

    Names are matched with Python's case folding, which folds every letter
    (SQLite's LOWER, behind the unique constraint there, folds only ASCII).
    """
    if not names:
        return []
    tags = _by_key(owner)
    missing = [name for name in names if name.lower() not in tags]
    if missing:
        if limited:
            check_room(owner, len(missing), existing=len(tags), field="tags")
        # A concurrent request may create the same name: the unique constraint
        # keeps one, and reading again finds it.
        Tag.objects.bulk_create(
            [Tag(owner=owner, name=name) for name in missing], ignore_conflicts=True
        )
        tags = _by_key(owner)
    result = []
    for name in names:
        tag = tags.get(name.lower())
        if tag is None:  # the database folded it to a tag Python spells apart
            tag = (
                Tag.objects.writable_by(owner)
                .annotate(key=Lower("name"))
                .get(key=Lower(Value(name)))
            )
        result.append(tag)
    return result


def _by_key(owner) -> dict[str, Tag]:
    # At most TAGS_PER_USER, through the API: reading them all is one small query.
    return {tag.name.lower(): tag for tag in Tag.objects.writable_by(owner)}
