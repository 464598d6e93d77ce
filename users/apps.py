from django.apps import AppConfig


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from knox.models import AuthToken

        # Registers the token's OpenAPI security scheme with drf-spectacular.
        from . import (
            schema,  # noqa: F401
            token_cache,
        )
        from .models import User

        # Cached token lookups must not outlive a change to the token or its user.
        post_delete.connect(token_cache.forget_token, sender=AuthToken)
        post_save.connect(token_cache.forget_token, sender=AuthToken)
        post_save.connect(token_cache.forget_users_tokens, sender=User)
