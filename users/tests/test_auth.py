from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.tests.helpers import bearer, invalid_fields, problem
from users.models import User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "orange-tractor-sings-42"


def register(client, **overrides):
    payload = {
        "username": "alice",
        "email": "alice@example.com",
        "password": STRONG_PASSWORD,
    }
    payload.update(overrides)
    return client.post("/api/v1/auth/register/", payload)


def test_register_creates_user_and_never_returns_password(api_client):
    response = register(api_client)

    assert response.status_code == 201
    user = User.objects.get(username="alice")
    assert response.json() == {
        "id": user.id,
        "username": "alice",
        "email": "alice@example.com",
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
    }
    assert user.check_password(STRONG_PASSWORD)
    assert user.password != STRONG_PASSWORD


def test_register_then_login_with_the_new_account(api_client):
    register(api_client)

    response = api_client.post(
        "/api/v1/auth/login/", {"username": "alice", "password": STRONG_PASSWORD}
    )

    assert response.status_code == 200
    assert set(response.json()) == {"token", "expiry"}


@pytest.mark.parametrize("username", ["alice", "ALICE", "Alice"])
def test_register_duplicate_username_is_409_whatever_its_case(api_client, username):
    UserFactory(username="alice")

    response = register(api_client, username=username, email="other@example.com")

    assert invalid_fields(response, 409) == {
        "username": ["A user with that username already exists."]
    }
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "username", ["\uff41\uff4c\uff49\uff43\uff45", "\uff21\uff2c\uff29\uff23\uff25"]
)
def test_register_a_look_alike_of_a_taken_username_is_409(api_client, username):
    # Fullwidth "alice" and "ALICE": NFKC folds them into the name taken, and
    # the answer names the field as a rename's does (not the database's guess).
    UserFactory(username="alice")

    response = register(api_client, username=username, email="other@example.com")

    assert invalid_fields(response, 409) == {
        "username": ["A user with that username already exists."]
    }
    assert User.objects.count() == 1


def test_database_refuses_usernames_differing_only_in_case():
    UserFactory(username="alice")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="ALICE", password=PASSWORD)


def test_a_clash_with_other_mistakes_is_400_naming_them_all(api_client):
    UserFactory(username="alice")

    response = register(api_client, username="alice", email="not-an-email")

    assert response.status_code == 400
    body = problem(response)
    assert (body["code"], body["type"]) == (
        "invalid",
        "urn:todo:problem:validation-error",
    )
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("username", "unique"),
        ("email", "invalid"),
    }


def test_register_duplicate_email_is_409(api_client):
    UserFactory(email="alice@example.com")

    response = register(api_client, email="ALICE@example.com")

    assert "email" in invalid_fields(response, 409)


@pytest.mark.parametrize(
    ("password", "message_part"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("48213957302", "entirely numeric"),
        ("alice-example", "too similar"),
    ],
)
def test_register_rejects_passwords_djangos_validators_reject(
    api_client, password, message_part
):
    response = register(api_client, password=password)

    assert response.status_code == 400
    messages = " ".join(invalid_fields(response)["password"])
    assert message_part in messages
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "alice@example.com", "password": STRONG_PASSWORD}, "username"),
        ({"username": "alice", "password": STRONG_PASSWORD}, "email"),
        ({"username": "alice", "email": "alice@example.com"}, "password"),
        (
            {
                "username": "al ice",
                "email": "a@example.com",
                "password": STRONG_PASSWORD,
            },
            "username",
        ),
        (
            {"username": "alice", "email": "not-an-email", "password": STRONG_PASSWORD},
            "email",
        ),
        (
            {"username": 42, "email": "a@example.com", "password": STRONG_PASSWORD},
            "username",
        ),
        (
            {"username": "alice", "email": "a@example.com", "password": 12345678901},
            "password",
        ),
    ],
)
def test_register_invalid_input_is_400_naming_the_field(api_client, payload, field):
    response = api_client.post("/api/v1/auth/register/", payload)

    assert response.status_code == 400
    assert field in invalid_fields(response)
    assert not User.objects.exists()


def test_register_ignores_privilege_fields(api_client):
    response = register(api_client, is_staff=True, is_superuser=True)

    assert response.status_code == 201
    user = User.objects.get(username="alice")
    assert not user.is_staff
    assert not user.is_superuser


def test_login_returns_token_and_expiry(api_client, user):
    before = timezone.now()
    response = api_client.post(
        "/api/v1/auth/login/", {"username": user.username, "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    expiry = AuthToken.objects.get(user=user).expiry
    assert expiry > before + timedelta(days=6)
    assert body["expiry"] == expiry.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "nobody", "password": PASSWORD},
        {"username": "user-under-test", "password": "wrong password"},
    ],
)
def test_login_with_bad_credentials_is_401_with_challenge(api_client, credentials):
    UserFactory(username="user-under-test")

    response = api_client.post("/api/v1/auth/login/", credentials)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert problem(response)["detail"] == "Unable to log in with these credentials."
    assert not AuthToken.objects.exists()


def test_login_inactive_user_is_401(api_client):
    user = UserFactory(is_active=False)

    response = api_client.post(
        "/api/v1/auth/login/", {"username": user.username, "password": PASSWORD}
    )

    assert response.status_code == 401


def test_login_missing_fields_is_400(api_client):
    response = api_client.post("/api/v1/auth/login/", {"username": "alice"})

    assert response.status_code == 400
    assert "password" in invalid_fields(response)


def test_token_is_stored_as_a_digest_and_a_lookup_prefix(user, login):
    token = login(user)

    stored = AuthToken.objects.get(user=user)
    assert stored.digest != token
    assert token not in stored.digest
    # The prefix knox finds the row by, and nothing more of the token.
    assert (len(token), stored.token_key) == (64, token[:15])
    assert bearer(stored.token_key).get("/api/v1/users/me/").status_code == 401


def test_each_login_is_a_separate_device_token(user, login):
    first, second = login(user), login(user)

    assert first != second
    assert AuthToken.objects.filter(user=user).count() == 2
    assert bearer(first).get("/api/v1/users/me/").status_code == 200
    assert bearer(second).get("/api/v1/users/me/").status_code == 200


def test_logout_revokes_only_that_token(user, login):
    mine, other_device = login(user), login(user)

    response = bearer(mine).post("/api/v1/auth/logout/")

    assert response.status_code == 204
    assert response.content == b""
    assert bearer(mine).get("/api/v1/users/me/").status_code == 401
    assert bearer(other_device).get("/api/v1/users/me/").status_code == 200


def test_logout_all_revokes_every_token_of_the_caller_only(user, other_user, login):
    mine, other_device, theirs = login(user), login(user), login(other_user)

    response = bearer(mine).post("/api/v1/auth/logout-all/")

    assert response.status_code == 204
    assert bearer(mine).get("/api/v1/users/me/").status_code == 401
    assert bearer(other_device).get("/api/v1/users/me/").status_code == 401
    assert bearer(theirs).get("/api/v1/users/me/").status_code == 200
    assert not AuthToken.objects.filter(user=user).exists()


@pytest.mark.parametrize("path", ["/api/v1/auth/logout/", "/api/v1/auth/logout-all/"])
def test_logout_without_token_is_401(api_client, path):
    response = api_client.post(path)

    assert response.status_code == 401


def test_no_token_is_401_with_bearer_challenge(api_client):
    response = api_client.get("/api/v1/tasks/")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert problem(response) == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


@pytest.mark.parametrize(
    "header",
    [
        "Bearer " + "0" * 64,
        "Bearer not-a-token",
        "Bearer " + "é" * 64,
        "Bearer " + "\x00" * 64,
        "Bearer",
        "Bearer a b",
    ],
)
def test_bad_token_is_401_with_bearer_challenge(user, login, header):
    login(user)  # a real token exists, the one sent is not it
    client = APIClient()

    response = client.get("/api/v1/tasks/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert problem(response)["code"] == "authentication_failed"


def test_token_prefix_other_than_bearer_is_not_accepted(user, login):
    token = login(user)

    response = APIClient().get("/api/v1/tasks/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 401


def test_expired_token_is_401(user, login):
    token = login(user)
    AuthToken.objects.filter(user=user).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )

    response = bearer(token).get("/api/v1/tasks/")

    assert response.status_code == 401


def test_token_of_deactivated_user_is_401(user, login):
    token = login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = bearer(token).get("/api/v1/tasks/")

    assert response.status_code == 401


def test_session_login_works_for_the_browsable_api(user):
    client = APIClient()
    client.force_login(user)

    response = client.get("/api/v1/tasks/", HTTP_ACCEPT="text/html")
    missing = client.get("/api/v1/tasks/999999/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # The browsable API shows its errors as pages, not as problem+json.
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("text/html")
