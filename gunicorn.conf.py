"""gunicorn's configuration: `make serve`, `make bench` and production use it.

https://docs.gunicorn.org/en/stable/settings.html
"""

import os

wsgi_app = "todo_project.wsgi"
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers, two per core: measured with `make bench` against gthread (4 x 4
# threads), which did worse on every scenario (list 932 against 1166 req/s).
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Room for 1000 connections waiting for a worker.
backlog = 2048
# Well above the database's connect retries and per-call deadlines.
timeout = 30
accesslog = None
