"""The client's address behind proxies: X-Forwarded-For only from TRUSTED_PROXIES."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from api.proxies import client_ip
from todo_project.tests.processes import run_python

pytestmark = pytest.mark.django_db

PROXIES = ["10.0.0.0/8", "2001:db8:1::/48"]


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = PROXIES


def through(proxy: str, forwarded_for: str) -> APIClient:
    return APIClient(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded_for)


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # No proxy in between.
        ("203.0.113.9", "", "203.0.113.9"),
        # A trusted proxy names the client it received from.
        ("10.0.0.1", "203.0.113.9", "203.0.113.9"),
        # Two trusted hops (a CDN, then the load balancer).
        ("10.0.0.1", "203.0.113.9, 10.1.1.1", "203.0.113.9"),
        # What the client wrote itself is left of the address its proxy saw.
        ("10.0.0.1", "1.1.1.1, 198.51.100.1, 203.0.113.9", "203.0.113.9"),
        # Every address trusted: an internal caller, the leftmost.
        ("10.0.0.1", "10.9.9.9, 10.1.1.1", "10.9.9.9"),
        # From any other peer the header is the client's own claim.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ("203.0.113.9", "10.0.0.1", "203.0.113.9"),
        # IPv6, as the proxy wrote it or with a port, in one spelling.
        ("2001:db8:1::5", "2001:DB8:FFFF:0::1", "2001:db8:ffff::1"),
        ("2001:db8:1::5", "[2001:db8:ffff::1]:4431", "2001:db8:ffff::1"),
        ("10.0.0.1", "203.0.113.9:4431", "203.0.113.9"),
        # An IPv4 peer on a dual-stack socket is still the IPv4 proxy.
        ("::ffff:10.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("2001:db8:ffff::1", "203.0.113.9", "2001:db8:ffff::1"),
        # Past an entry no proxy would write nothing is believed: the nearest
        # readable hop stands for the client (or the peer, when there is none).
        ("10.0.0.1", "203.0.113.9, nonsense, 10.1.1.1", "10.1.1.1"),
        ("10.0.0.1", "nonsense", "10.0.0.1"),
        ("10.0.0.1", "unknown", "10.0.0.1"),
        ("10.0.0.1", ", ,", "10.0.0.1"),
        ("10.0.0.1", "203.0.113.9,,10.1.1.1", "10.1.1.1"),
    ],
)
def test_the_client_is_the_rightmost_address_no_trusted_proxy_holds(
    proxies, peer, forwarded_for, client
):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded_for
    )

    assert client_ip(request) == client


def test_without_trusted_proxies_the_header_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )

    assert client_ip(request) == "10.0.0.1"


def test_clients_behind_a_trusted_proxy_are_limited_apart(proxies, limits):
    limits(anon="2/hour")
    here, there = through("10.0.0.1", "203.0.113.1"), through("10.0.0.1", "203.0.113.2")

    statuses = [here.get("/api/v1/tasks/").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert there.get("/api/v1/tasks/").status_code == 401


def test_logins_behind_a_trusted_proxy_are_limited_apart(proxies, limits):
    limits(login="2/hour")
    here, there = through("10.0.0.1", "203.0.113.1"), through("10.0.0.1", "203.0.113.2")

    def log_in(client: APIClient, username: str) -> int:
        body = {"username": username, "password": "guess"}
        return client.post("/api/v1/auth/login/", body).status_code

    statuses = [log_in(here, f"user{n}") for n in range(3)]

    assert statuses == [401, 401, 429]
    assert log_in(there, "user9") == 401


def test_clients_behind_a_trusted_ipv6_proxy_are_limited_apart(proxies, limits):
    limits(anon="2/hour")
    here = through("2001:db8:1::5", "2001:db8:ffff::1")
    same = through("2001:db8:1::6", "[2001:db8:ffff:0:0::1]:80")
    there = through("2001:db8:1::5", "2001:db8:ffff::2")

    statuses = [client.get("/api/v1/tasks/").status_code for client in (here, same)]

    assert statuses == [401, 401]
    assert same.get("/api/v1/tasks/").status_code == 429
    assert there.get("/api/v1/tasks/").status_code == 401


def test_a_forged_header_from_an_untrusted_peer_changes_nothing(proxies, limits):
    limits(anon="2/hour", register="2/hour")

    anon = [
        through("198.51.100.7", f"203.0.113.{n}").get("/api/v1/tasks/").status_code
        for n in range(3)
    ]
    registrations = [
        through("198.51.100.8", f"203.0.113.{n}")
        .post(
            "/api/v1/auth/register/",
            {"username": f"new{n}", "email": f"new{n}@example.com", "password": "x"},
        )
        .status_code
        for n in range(3)
    ]

    assert anon == [401, 401, 429]
    assert registrations[-1] == 429


def test_a_forged_address_sent_through_the_proxy_changes_nothing(proxies, limits):
    # The proxy appends the address it saw to whatever the client sent.
    limits(anon="2/hour")

    statuses = [
        through("10.0.0.1", f"203.0.113.{n}, 198.51.100.7")
        .get("/api/v1/tasks/")
        .status_code
        for n in range(3)
    ]

    assert statuses == [401, 401, 429]


@pytest.mark.parametrize("value", ["10.0.0.0/33", "10.0.0.1/8", "proxy.internal"])
def test_an_unreadable_trusted_proxy_stops_the_app_from_starting(value):
    result = run_python(
        "-c",
        "import django; django.setup()",
        DJANGO_DEBUG="true",
        TRUSTED_PROXIES=f"10.0.0.0/8,{value}",
    )

    assert result.returncode != 0
    assert f"TRUSTED_PROXIES: {value!r}" in result.stderr


def test_trusted_proxies_read_as_a_comma_separated_list():
    code = "from django.conf import settings; print(settings.TRUSTED_PROXIES)"
    result = run_python(
        "-c", code, DJANGO_DEBUG="true", TRUSTED_PROXIES=" 10.0.0.0/8, fd00::/8 ,"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['10.0.0.0/8', 'fd00::/8']"
