import datetime
import decimal
import uuid

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail

from api.renderers import JSONRenderer

SAMPLES = [
    {"id": 1, "title": 'Ünïcode ✓ \u2028 \u2029 "quoted" \\ </script>'},
    [None, True, False, 0, -1, 2**63 - 1, 1.5, ""],
    {"when": datetime.datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=datetime.UTC)},
    {"when": datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)},
    {
        "when": timezone.make_aware(
            datetime.datetime(2026, 7, 1, 9, 30), timezone.get_fixed_timezone(120)
        )
    },
    {
        "day": datetime.date(2026, 2, 28),
        "at": datetime.time(7, 5),
        "for": datetime.timedelta(hours=1),
    },
    {
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "price": decimal.Decimal("1.10"),
    },
    {
        "detail": ErrorDetail("Not found.", code="not_found"),
        "lazy": gettext_lazy("Not found."),
    },
    {1: "integer key"},
    {"nested": {"list": [{"deep": [1, 2, {"x": None}]}]}},
]


@pytest.mark.parametrize("data", SAMPLES)
def test_the_same_bytes_as_drfs_renderer(data):
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


@pytest.mark.parametrize(
    "data", [{"huge": 2**64}, {"indented": [1, 2]}], ids=["huge", "indent"]
)
def test_what_orjson_cannot_do_falls_back_to_drf(data):
    media_type = "application/json; indent=4" if "indented" in data else None

    assert JSONRenderer().render(data, media_type) == renderers.JSONRenderer().render(
        data, media_type
    )


def test_nothing_renders_as_no_body():
    assert JSONRenderer().render(None) == b""
