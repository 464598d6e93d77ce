"""Which rows a user may reach: one rule per model, on its queryset.

A model whose rows belong to users gets a queryset with two methods, each
decorated with @access_rule:

    class TaskQuerySet(AccessQuerySet):
        @access_rule
        def readable_by(self, user): ...   # rows `user` may read
        @access_rule
        def writable_by(self, user): ...   # rows `user` may change

Every path that serves rows to a caller starts from one of them: the base
viewset (api.viewsets), the bulk, sync and export code, the caches, the
precompiled list SQL. When who may see what changes (lists shared between
users), those two methods change and nothing else.

The decorator marks the queryset it returns, and every queryset made from it
(filter, annotate, values, union: Django copies a query's attributes), so
that todo_project/tests/test_access_rule.py can tell a query that went
through the rule from one that did not.
"""

import functools
from collections.abc import Callable
from typing import TypeVar

from django.db import models

MARK = "access_rule"

_QuerySet = TypeVar("_QuerySet", bound=models.QuerySet)


def access_rule(
    method: Callable[[_QuerySet, object], _QuerySet],
) -> Callable[[_QuerySet, object], _QuerySet]:
    """Marks what a model's readable_by / writable_by returns as scoped."""

    @functools.wraps(method)
    def scoped(self: _QuerySet, user: object) -> _QuerySet:
        queryset = method(self, user)
        setattr(queryset.query, MARK, f"{self.model.__name__}.{method.__name__}")
        return queryset

    return scoped


def is_scoped(query) -> bool:
    """Whether a query (a QuerySet's .query) went through an access rule."""
    return getattr(query, MARK, None) is not None


class AccessQuerySet(models.QuerySet):
    """A queryset of rows that belong to users; see the module's docstring."""

    def readable_by(self, user):
        raise NotImplementedError(f"{type(self).__name__} states no access rule.")

    def writable_by(self, user):
        raise NotImplementedError(f"{type(self).__name__} states no access rule.")


class OwnedQuerySet(AccessQuerySet):
    """Rows only their owner (an `owner` foreign key) may read and change."""

    @access_rule
    def readable_by(self, user):
        return self.filter(owner=user)

    @access_rule
    def writable_by(self, user):
        return self.filter(owner=user)
