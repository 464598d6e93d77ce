import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken

from tasks.management.users import user_from_option

_DURATION = re.compile(r"(\d{1,7})([hd])")
MAX_LIFETIME = timedelta(days=3650)


def parse_expiry(value: str) -> timedelta | None:
    if value == "never":
        return None
    match = _DURATION.fullmatch(value.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise CommandError(
            f'--expiry must be hours or days such as "12h" or "30d", or "never"; '
            f'not "{value}".'
        )
    amount, unit = int(match.group(1)), match.group(2)
    lifetime = timedelta(hours=amount) if unit == "h" else timedelta(days=amount)
    if lifetime > MAX_LIFETIME:
        raise CommandError('--expiry may be 10 years at most; "never" is allowed.')
    return lifetime


class Command(BaseCommand):
    help = (
        "Issue an API token for a user, for scripts and integrations. The token is "
        "printed once and stored as a digest; revoke it by calling "
        "POST /api/v1/auth/logout/ with it, or delete it in the admin."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--user", required=True, help="Username (or email) the token acts as."
        )
        parser.add_argument(
            "--expiry",
            default="30d",
            help='How long the token lives: hours ("12h"), days ("30d") or "never". '
            "Default: 30d.",
        )

    def handle(self, *args, user: str, expiry: str, **options) -> None:
        lifetime = parse_expiry(expiry)
        owner = user_from_option(user)
        if not owner.is_active:
            raise CommandError(f'User "{owner.username}" is inactive.')
        instance, token = AuthToken.objects.create(owner, expiry=lifetime)
        until = instance.expiry.isoformat() if instance.expiry else "never"
        self.stderr.write(f"Token for {owner.username}, expires {until}:")
        self.stdout.write(token)
