import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.negotiation import ContentNegotiation
from api.renderers import JSONRenderer

RENDERERS = [JSONRenderer(), BrowsableAPIRenderer()]


@pytest.mark.parametrize(
    ("accept", "query"),
    [
        (None, ""),
        ("*/*", ""),
        ("application/json", ""),
        (" application/json ", ""),
        ("application/json; indent=4", ""),
        ("text/html,application/xhtml+xml,*/*;q=0.8", ""),
        ("*/*", "format=api"),
        ("application/*", ""),
    ],
)
def test_the_same_choice_as_drf(accept, query):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/v1/tasks/?{query}", **headers))

    ours = ContentNegotiation().select_renderer(request, RENDERERS)
    drfs = DefaultContentNegotiation().select_renderer(request, RENDERERS)

    assert (type(ours[0]), ours[1]) == (type(drfs[0]), drfs[1])


def test_the_api_still_refuses_what_it_cannot_render(auth_client):
    response = auth_client.get("/api/v1/tasks/", HTTP_ACCEPT="application/xml")

    assert response.status_code == 406
