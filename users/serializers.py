from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import exceptions, serializers
from rest_framework.fields import get_error_detail

from api.fields import StrictCharField
from api.problems import UNIQUE

from . import validators
from .models import User


def _taken() -> serializers.ValidationError:
    # The serializer's checks cannot see a concurrent sign-up or rename to the
    # same name; the database's unique constraints can, and this is their 409.
    return serializers.ValidationError(
        {"username": ["A user with that username or email already exists."]},
        code=UNIQUE,
    )


class UsernameField(StrictCharField):
    """A new name: what users/validators.py allows as sent, folded (NFKC) as
    Django folds names, so that a look-alike meets the name it imitates."""

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        if not validators.is_username(value):
            raise serializers.ValidationError(
                User.username_validator.message, code="invalid"
            )
        return User.normalize_username(value)

    def schema_rules(self, direction: str) -> dict:
        # Answers show names as they are, some made before the rule (an
        # operator's through the admin).
        return (
            {"pattern": validators.username_pattern()} if direction == "request" else {}
        )


class PasswordField(StrictCharField):
    """A new password, checked by Django's validators (AUTH_PASSWORD_VALIDATORS)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            write_only=True,
            trim_whitespace=False,
            max_length=128,
            style={"input_type": "password"},
            **kwargs,
        )

    def schema_rules(self, direction: str) -> dict:
        return validators.password_rules()


class UserSerializer(serializers.ModelSerializer):
    """The caller's profile."""

    username = UsernameField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only: no spaces, other symbols, "
        'combining marks (send "é" precomposed), ligatures or characters beyond '
        "the Basic Multilingual Plane; at most 150 characters, whitespace around "
        "them dropped. Compared in NFKC form and regardless of case: once "
        '"alice" exists, "Alice" and its fullwidth look-alike are taken.',
    )
    email = serializers.EmailField(max_length=254)

    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined"]
        read_only_fields = ["id", "date_joined"]

    def validate_username(self, value: str) -> str:
        # Run the model's own validators on the folded name, and compare names
        # case-insensitively as Django's UserCreationForm does: "Alice" and
        # "alice" would be indistinguishable to people.
        for validator in User._meta.get_field("username").validators:
            try:
                validator(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(get_error_detail(exc)) from exc
        others = User.objects.filter(username__iexact=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(
                "A user with that username already exists.", code=UNIQUE
            )
        return value

    def update(self, instance: User, validated_data: dict) -> User:
        try:
            with transaction.atomic():
                return super().update(instance, validated_data)
        except IntegrityError as exc:
            raise _taken() from exc

    def validate_email(self, value: str) -> str:
        value = User.objects.normalize_email(value)
        others = User.objects.filter(email__iexact=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(
                "A user with that email already exists.", code=UNIQUE
            )
        return value


class RegisterSerializer(UserSerializer):
    """A new account; the password is write-only and checked by Django's validators."""

    password = PasswordField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "password"]

    def validate(self, attrs: dict) -> dict:
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                {"password": get_error_detail(exc)}
            ) from exc
        return attrs

    def create(self, validated_data: dict) -> User:
        try:
            with transaction.atomic():
                return User.objects.create_user(**validated_data)
        except IntegrityError as exc:
            raise _taken() from exc


class LoginSerializer(serializers.Serializer):
    """Credentials exchanged for a token."""

    username = StrictCharField(max_length=150)
    password = StrictCharField(
        trim_whitespace=False, max_length=128, style={"input_type": "password"}
    )

    def validate(self, attrs: dict) -> dict:
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        # One message for a wrong name and a wrong password: no account probing.
        if user is None:
            raise exceptions.AuthenticationFailed(
                "Unable to log in with these credentials."
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    """A new API token, shown only this once: the server keeps a digest of it."""

    token = serializers.CharField()
    expiry = serializers.DateTimeField()
