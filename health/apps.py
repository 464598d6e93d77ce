from django.apps import AppConfig


class HealthConfig(AppConfig):
    """Liveness and readiness probes, and waiting for the database."""

    name = "health"
