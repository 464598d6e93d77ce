"""The OpenAPI schema states the rules the server applies to usernames and
passwords, and clients read them alike whatever their regex engine."""

import re
import unicodedata

import pytest
import regress
from rest_framework.test import APIClient

from api.tests import contract
from users import validators
from users.models import User

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "orange-tractor-sings-42"


def rules(component: str, field: str, schema: dict | None = None) -> dict:
    schema = schema or contract.schema()
    return schema["components"]["schemas"][component]["properties"][field]


def schema_takes(field_rules: dict, value: str) -> bool:
    """Whether a value meets a string's rules, its pattern read by Python's re
    (as Schemathesis reads it) and as ECMA-262 (as a browser does): both must
    agree."""
    length = field_rules.get("minLength", 0) <= len(value)
    length = length and len(value) <= field_rules.get("maxLength", len(value))
    pattern = field_rules["pattern"]
    as_python = re.search(pattern, value) is not None
    as_ecma = regress.Regex(pattern).find(value) is not None
    assert as_python == as_ecma, value
    return length and as_python


def server_takes(field: str, **body) -> bool:
    payload = {
        "username": "alice",
        "email": "alice@example.com",
        "password": STRONG_PASSWORD,
        **body,
    }
    response = APIClient().post("/api/v1/auth/register/", payload, format="json")
    assert response.status_code in {201, 400}, response.content
    errors = response.json().get("errors", []) if response.status_code == 400 else []
    return field not in {error["field"] for error in errors}


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("alice", True),
        ("a.b@c+d-e_f", True),
        (" bob\u3000", True),  # whitespace around a name is dropped
        ("José", True),
        ("Ωmega", True),
        ("名前", True),
        ("\uff42\uff4f\uff42", True),  # fullwidth: folded into "bob"
        ("\u0661\u0662\u0663", True),  # Arabic-Indic digits
        ("x" * 150, True),
        ("x" * 151, False),
        ("", False),
        ("   ", False),
        ("al ice", False),
        ("alice!", False),
        ("ali\u00a0ce", False),
        ("bob\u200b", False),  # a zero-width space
        ("a\x00b", False),
        ("\U0001f4a1", False),  # an emoji
        ("\U0001d41a\U0001d425", False),  # mathematical bold "al", beyond the BMP
        ("\ufb01sh", False),  # the ligature "fi": NFKC lengthens it
        ("Jose\u0301", False),  # a combining accent: send "é" precomposed
    ],
)
def test_the_schema_states_which_usernames_the_server_takes(username, allowed):
    assert schema_takes(rules("RegisterRequest", "username"), username) is allowed
    assert schema_takes(rules("PatchedUserRequest", "username"), username) is allowed
    assert server_takes("username", username=username) is allowed


def test_every_character_a_username_may_have_folds_into_one_django_allows():
    pattern = re.compile(f"[{validators.username_characters()}]")

    for code in range(0x10000):
        char = chr(code)
        if pattern.fullmatch(char):
            folded = unicodedata.normalize("NFKC", char)
            assert len(folded) == 1, hex(code)
            User.username_validator(folded)


def test_the_username_pattern_reads_alike_in_python_and_ecma_262():
    pattern = validators.username_pattern()
    as_python, as_ecma = re.compile(pattern), regress.Regex(pattern)

    for code in range(0x10000):
        if not 0xD800 <= code <= 0xDFFF:  # not a character on its own
            char = chr(code)
            expected = as_python.search(char) is not None
            assert (as_ecma.find(char) is not None) == expected, hex(code)


def test_answers_state_no_username_rule_beyond_its_length():
    # Names made before the rule, or by an operator, are shown as they are.
    assert "pattern" not in rules("User", "username")


@pytest.mark.parametrize(
    ("password", "allowed"),
    [
        (STRONG_PASSWORD, True),
        (" " * 8, True),  # not trimmed: spaces are characters like any other
        ("short1", False),
        ("48213957302", False),
        ("\u0664\u0668\u0662\u0661\u0663\u0669\u0665\u0667", False),  # Arabic-Indic
        ("\u00b2\u00b3" * 4, False),  # superscript digits are digits to Python
        ("x" * 129, False),
        ("abc\x00defgh", False),
    ],
)
def test_the_schema_states_the_passwords_forms_the_server_refuses(password, allowed):
    assert schema_takes(rules("RegisterRequest", "password"), password) is allowed
    assert server_takes("password", password=password) is allowed


@pytest.mark.parametrize("password", ["password123", "alice-example"])
def test_rules_no_pattern_can_state_are_stated_in_words(password):
    # A common password, one too like the username or email.
    description = rules("RegisterRequest", "password")["description"]

    assert schema_takes(rules("RegisterRequest", "password"), password)
    assert not server_takes("password", password=password)
    assert "commonly used" in description
    assert "too similar to your other personal information" in description


def test_the_password_rules_follow_the_settings(settings):
    validator = "django.contrib.auth.password_validation.MinimumLengthValidator"
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": validator, "OPTIONS": {"min_length": 12}}
    ]

    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()

    password = rules("RegisterRequest", "password", schema)
    assert password["minLength"] == 12
    assert password["pattern"] == r"^[^\x00]+$"  # digits alone are allowed now
    assert password["description"] == (
        "Your password must contain at least 12 characters."
    )


def test_login_states_no_password_rule():
    # An account's password may predate the rules, or come from an operator.
    password = rules("LoginRequest", "password")

    assert (password["minLength"], password["pattern"]) == (1, r"^[^\x00]+$")
