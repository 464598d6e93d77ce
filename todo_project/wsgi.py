"""The WSGI application the server runs (scripts/serve).

https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_project.settings")
django.setup(set_prefix=False)

from api.handlers import Application  # noqa: E402  (needs the settings)

application = Application()
