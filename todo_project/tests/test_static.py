import pytest
from django.core.management import call_command
from django.test import Client


@pytest.mark.django_db
def test_admin_css_is_served_by_whitenoise_with_debug_off(settings, tmp_path):
    # Production as deployed: DEBUG off, HTTPS only, hashed static files.
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        # Hashed names as in production; compressing every file (the docs' big
        # bundles, with brotli when it is installed) would only slow this down.
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        },
    }
    call_command("collectstatic", "--noinput", verbosity=0)

    login_page = Client().get("/admin/login/", secure=True)
    assert login_page.status_code == 200
    css_url = next(
        part.split('"')[0]
        for part in login_page.content.decode().split('href="')[1:]
        if "admin/css/base" in part
    )
    # A new client builds a new middleware stack, so WhiteNoise sees the files.
    css = Client().get(css_url, secure=True)

    assert css.status_code == 200
    assert css["Content-Type"].startswith("text/css")
    assert "immutable" in css["Cache-Control"]
    assert b"".join(css.streaming_content)
    assert Client().get(css_url).status_code == 301  # plain HTTP goes to HTTPS
