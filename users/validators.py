r"""What a username and a password may be: checked by the server, stated in
the OpenAPI schema in words a client's validator reads the same way.

JSON Schema patterns are ECMA-262 regexes, whose \w is ASCII, while Django's
username rule (UnicodeUsernameValidator, ^[\w.@+-]+\Z) means Python's Unicode
\w, and the server folds a name with NFKC before checking it. So the
characters are spelled out, as \u escapes of the Basic Multilingual Plane,
which Python's re and ECMA-262 read alike with or without the u flag: those
whose NFKC form is one character Django's rule allows. The server applies the
same class to the name as sent, so schema and server agree on every name.
Left out, and refused: characters beyond the BMP (an escape for them reads
differently in each engine; most are mathematical look-alikes of ASCII) and
those NFKC expands (the ligature "ﬁ", the numeral "Ⅻ"), which would also let
a name grow past its length limit once folded.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache

from django.contrib.auth import password_validation

from api.schema import WHITESPACE

from .models import User


def _as_class(characters: Iterable[int]) -> str:
    """BMP code points as the inside of a regex character class."""
    ranges: list[list[int]] = []
    for code in characters:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        f"\\u{first:04x}" if first == last else f"\\u{first:04x}-\\u{last:04x}"
        for first, last in ranges
    )


def _bmp() -> Iterator[int]:
    return (code for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF)


@cache
def username_characters() -> str:
    """The characters a username may have, as the inside of a character class."""
    rule = re.compile(User.username_validator.regex)

    def allowed(code: int) -> bool:
        folded = unicodedata.normalize("NFKC", chr(code))
        return len(folded) == 1 and rule.match(folded) is not None

    return _as_class(code for code in _bmp() if allowed(code))


@cache
def username_pattern() -> str:
    """A username as sent: the characters above, whitespace around them being
    trimmed by the server."""
    return f"^[{WHITESPACE}]*[{username_characters()}]+[{WHITESPACE}]*$"


def is_username(value: str) -> bool:
    """Whether a trimmed name has only the characters a username may have."""
    return re.fullmatch(f"[{username_characters()}]+", value) is not None


@cache
def _digits() -> str:
    # What str.isdigit() (so NumericPasswordValidator) takes for a digit.
    return _as_class(code for code in _bmp() if chr(code).isdigit())


def password_rules() -> dict:
    """The schema of a new password under AUTH_PASSWORD_VALIDATORS: the rules
    a schema can state, and every rule in words (a common password, or one too
    like the username or email, cannot be stated otherwise)."""
    rules: dict = {
        "description": " ".join(password_validation.password_validators_help_texts())
    }
    for validator in password_validation.get_default_password_validators():
        if isinstance(validator, password_validation.MinimumLengthValidator):
            rules["minLength"] = max(validator.min_length, 1)
        elif isinstance(validator, password_validation.NumericPasswordValidator):
            # Something besides digits (digits beyond the BMP are the one gap).
            rules["pattern"] = rf"^[^\x00]*[^\x00{_digits()}][^\x00]*$"
    return rules
