from django.apps import AppConfig


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"

    def ready(self) -> None:
        # Registers the token's OpenAPI security scheme with drf-spectacular.
        from . import schema  # noqa: F401
