from django.contrib import admin
from django.db.models import Q

from users.admin import OwnersFirstSearchMixin

from ..models import Tag


@admin.register(Tag)
class TagAdmin(OwnersFirstSearchMixin, admin.ModelAdmin):
    """Tags for operators: find one by name or owner, rename or delete it."""

    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    ordering = ["-id"]

    def search_own_fields(self, word: str) -> Q:
        return Q(name__icontains=word)

    def get_readonly_fields(self, request, obj=None):
        # Moving a tag to another user would leave it on its old owner's tasks.
        return ["owner"] if obj is not None else []
