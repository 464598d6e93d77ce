import pytest

from api.tests.helpers import invalid_fields, problem
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def profile(user) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
    }


def test_me_returns_the_callers_profile(auth_client, user, other_user):
    response = auth_client.get("/api/v1/users/me/")

    assert response.status_code == 200
    assert response.json() == profile(user)


def test_patch_me_changes_email_and_username(auth_client, user):
    response = auth_client.patch(
        "/api/v1/users/me/", {"email": "new@example.com", "username": "renamed"}
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert user.username == "renamed"
    assert response.json() == profile(user)


def test_patch_me_ignores_read_only_and_privilege_fields(auth_client, user):
    original = profile(user)

    response = auth_client.patch(
        "/api/v1/users/me/",
        {"id": 999, "date_joined": "2000-01-01T00:00:00Z", "is_staff": True},
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert profile(user) == original
    assert not user.is_staff


def test_patch_me_to_a_taken_username_is_409(auth_client, user):
    UserFactory(username="taken")

    response = auth_client.patch("/api/v1/users/me/", {"username": "Taken"})

    assert "username" in invalid_fields(response, 409)
    user.refresh_from_db()
    assert user.username != "Taken"


@pytest.mark.parametrize(
    "username", ["\uff41\uff4c\uff49\uff43\uff45", "\uff21\uff2c\uff29\uff23\uff25"]
)
def test_patch_me_to_a_look_alike_of_a_taken_username_is_409(
    auth_client, user, username
):
    # Fullwidth "alice" and "ALICE": NFKC folds them into the name taken.
    UserFactory(username="alice")
    before = user.username

    response = auth_client.patch("/api/v1/users/me/", {"username": username})

    assert invalid_fields(response, 409) == {
        "username": ["A user with that username already exists."]
    }
    user.refresh_from_db()
    assert user.username == before
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_patch_me_stores_the_username_in_its_normal_form(auth_client, user):
    response = auth_client.patch(
        "/api/v1/users/me/", {"username": "\uff42\uff4f\uff42"}
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.username == "bob"
    assert response.json() == profile(user)


def test_patch_me_keeping_own_username_is_allowed(auth_client, user):
    response = auth_client.patch(
        "/api/v1/users/me/", {"username": user.username.upper()}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("email", ["", "not-an-email", 42])
def test_patch_me_invalid_email_is_400(auth_client, user, email):
    response = auth_client.patch("/api/v1/users/me/", {"email": email})

    assert response.status_code == 400
    assert "email" in invalid_fields(response)


def test_put_me_is_not_allowed(auth_client):
    response = auth_client.put(
        "/api/v1/users/me/", {"username": "x", "email": "x@example.com"}
    )

    assert response.status_code == 405
    assert problem(response)["code"] == "method_not_allowed"


def test_me_requires_authentication(api_client):
    assert api_client.get("/api/v1/users/me/").status_code == 401
