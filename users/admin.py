from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q
from django.utils.text import smart_split, unescape_string_literal
from knox.admin import AuthTokenAdmin as KnoxAuthTokenAdmin
from knox.models import AuthToken

from .models import User

# Owners matched by a search word that are inlined into the row query as ids.
MAX_OWNER_IDS = 1000


class OwnersFirstSearchMixin:
    """A ModelAdmin search for rows that belong to a user: matching users by
    username or email first, then rows by their own fields or owner id.

    Django ORs the search fields across the join to users, a shape no index
    serves: every row is joined and tested. Owner ids instead let PostgreSQL
    combine the owner index with whatever serves the row's own fields.
    """

    # The row's foreign key to its user.
    owner_field = "owner"

    def search_own_fields(self, word: str) -> Q:
        """The rows whose own fields match `word`."""
        raise NotImplementedError

    def get_search_results(self, request, queryset, search_term):
        for word in smart_split(search_term):
            if len(word) > 1 and word[0] in "\"'" and word[0] == word[-1]:
                word = unescape_string_literal(word)
            owners = User.objects.filter(
                Q(username__icontains=word) | Q(email__icontains=word)
            ).values_list("pk", flat=True)
            owner_ids = list(owners[: MAX_OWNER_IDS + 1])
            # A word matching very many owners stays a subquery.
            by_owner = owners if len(owner_ids) > MAX_OWNER_IDS else owner_ids
            queryset = queryset.filter(
                self.search_own_fields(word)
                | Q(**{f"{self.owner_field}__in": by_owner})
            )
        return queryset, False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin (password hashing, permissions). Apps add their own
    columns from their side (tasks.admin adds task counts)."""

    list_display = ["username", "email", "is_staff", "is_active", "date_joined"]
    search_fields = ["username", "email"]
    ordering = ["-date_joined"]
    show_full_result_count = False


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(OwnersFirstSearchMixin, KnoxAuthTokenAdmin):
    """knox's token admin, searched by its user without a join."""

    owner_field = "user"

    def search_own_fields(self, word: str) -> Q:
        return Q(digest__icontains=word) | Q(token_key__icontains=word)
