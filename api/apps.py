from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The HTTP layer every app's API uses (see the package's docstring)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from . import lookups  # noqa: F401  (registers them)
