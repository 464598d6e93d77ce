"""Tags by name: how a task's payload names them."""

from django.db.models import Value
from django.db.models.functions import Lower

from .models import Tag


def tags_named(owner, names: list[str]) -> list[Tag]:
    """The owner's tags with these names, ignoring case, in the order given;
    the missing ones are created (spelled as given).

    Names are matched with Python's case folding, which folds every letter
    (SQLite's LOWER, behind the unique constraint there, folds only ASCII).
    """
    if not names:
        return []
    tags = _by_key(owner)
    missing = [name for name in names if name.lower() not in tags]
    if missing:
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
                Tag.objects.annotate(key=Lower("name"))
                .filter(owner=owner, key=Lower(Value(name)))
                .get()
            )
        result.append(tag)
    return result


def _by_key(owner) -> dict[str, Tag]:
    # A user has tens of tags, not thousands: reading them all is one small query.
    return {tag.name.lower(): tag for tag in Tag.objects.filter(owner=owner)}
