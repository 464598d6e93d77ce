from django.core.management.base import CommandError

from users.models import User


def user_from_option(value: str) -> User:
    """The user a command's --user names: a username, or else an email address."""
    user = User.objects.filter(username=value).first()
    if user is None and "@" in value:
        user = User.objects.filter(email__iexact=value).first()
    if user is None:
        raise CommandError(f'No user with the username or email "{value}".')
    return user
