from django.contrib import admin
from django.db import transaction
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from api import views

api_v1 = [
    path("", include("users.urls")),
    path("", include("tasks.urls")),
]

# The product's name where Django's admin would say "Django administration".
admin.site.site_header = admin.site.site_title = admin.site.index_title = "Todo API"

# The docs need no database, so they open no per-request transaction.
no_db = transaction.non_atomic_requests

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", no_db(SpectacularAPIView.as_view()), name="schema"),
    path(
        "api/docs/",
        no_db(SpectacularSwaggerView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        no_db(SpectacularRedocView.as_view(url_name="schema")),
        name="redoc",
    ),
    path("api-auth/", include("rest_framework.urls")),
    path("health/", include("health.urls")),
    # Last: whatever else is asked for under /api/ gets a JSON 404.
    re_path(r"^api/(?P<path>.*)$", views.api_not_found),
]

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
