"""The admin for operators, one module per resource; importing them registers
them (Django's autodiscover imports this package)."""

from . import lists, tags, tasks, users  # noqa: F401
