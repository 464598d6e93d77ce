"""Fractional position keys: the manual order of lists and of sibling tasks.

A key is a string over 62 ASCII digits ("0-9A-Za-z", in byte order), read as
the digits of a fraction after the point: "V" is about 0.5, "V1" a little
more. Keys compare byte-wise (collation "C" on PostgreSQL; SQLite's default
BINARY), so placing a row between two others writes one row: a key between
theirs. No key ends in "0", so there is always room before any key.

Appending and prepending step the key by one digit rather than halving the gap,
so a run of N appends grows the key by about one character per 61 appends, not
per 6. When a key grows past MAX_LENGTH, its sibling group is given fresh keys
from `spread()` (a rebalance of that one group). Concurrent writers can produce
equal keys, so whatever orders rows by key must break ties by id.
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
# Past this length a key's group is rebalanced; well under any column's limit.
MAX_LENGTH = 48
_VALUE = {digit: value for value, digit in enumerate(DIGITS)}


def is_key(key: object) -> bool:
    """Whether `key` is a well-formed position key."""
    return (
        isinstance(key, str)
        and len(key) > 0
        and not key.endswith(DIGITS[0])
        and all(digit in _VALUE for digit in key)
    )


def key_between(before: str | None, after: str | None) -> str:
    """A key that sorts after `before` and before `after`; None is an open end.

    `key_between(None, None)` is the first key of an empty group.
    """
    for key in (before, after):
        if key is not None and not is_key(key):
            raise ValueError(f"not a position key: {key!r}")
    if before is not None and after is not None and not before < after:
        raise ValueError(f"{before!r} does not sort before {after!r}")
    if after is None:
        return _key_after(before or "")
    if before is None:
        return _key_before(after)
    return _midpoint(before, after)


def keys_between(before: str | None, after: str | None, count: int) -> list[str]:
    """`count` ascending keys between `before` and `after`, as short however
    many there are as a fresh group's: spread()'s keys behind one key of the
    gap. (Placing them one by one would add a digit per 61 keys.)"""
    if before is None and after is None:
        return spread(count)
    prefix = key_between(before, after)
    # A prefix of `after` would let prefix + key sort past it.
    while after is not None and after.startswith(prefix):
        prefix = key_between(prefix, after)
    return [prefix + key for key in spread(count)]


def needs_rebalance(key: str) -> bool:
    """Whether `key` has grown long enough that its group should get fresh keys."""
    return len(key) > MAX_LENGTH


def spread(count: int) -> list[str]:
    """`count` keys, ascending, evenly spaced over the middle half of the range.

    The quarters left free at both ends take appends and prepends after a
    rebalance without the keys growing at once.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    length = 1
    while BASE**length < 4 * (count + 1):
        length += 1
    span = BASE**length
    low, width = span // 4, span // 2
    return [
        _encode(low + width * index // (count + 1), length)
        for index in range(1, count + 1)
    ]


def _encode(number: int, length: int) -> str:
    """`number` / BASE**length as a key: `length` digits, trailing zeros dropped."""
    digits = []
    for _ in range(length):
        number, value = divmod(number, BASE)
        digits.append(DIGITS[value])
    return "".join(reversed(digits)).rstrip(DIGITS[0])


def _key_after(key: str) -> str:
    """The shortest key above `key` that raises one of its digits (or adds one).

    Above "" (zero: an empty group, or nothing left after a shared prefix) it
    is the middle digit, which leaves room on both sides.
    """
    if not key:
        return DIGITS[BASE // 2]
    for index, digit in enumerate(key):
        if digit != DIGITS[-1]:
            return key[:index] + DIGITS[_VALUE[digit] + 1]
    return key + DIGITS[1]


def _key_before(key: str) -> str:
    """A short key below `key` (which is not all zeros, so one exists)."""
    for index, digit in enumerate(key):
        value = _VALUE[digit]
        if value > 1:
            return key[:index] + DIGITS[value - 1]
        if value == 1:
            # Lowering a 1 to 0 would leave a trailing zero: take 0, then the
            # highest digit, which is still below this key.
            return key[:index] + DIGITS[0] + DIGITS[-1]
    raise ValueError(f"no key sorts before {key!r}")


def _midpoint(low: str, high: str) -> str:
    """A key strictly between `low` and `high` (low < high, both keys or "")."""
    # The shared prefix (a missing digit in `low` reads as 0) stays as it is.
    prefix = 0
    padded = low.ljust(len(high), DIGITS[0])
    while prefix < len(high) and padded[prefix] == high[prefix]:
        prefix += 1
    if prefix:
        return high[:prefix] + _midpoint(low[prefix:], high[prefix:])
    low_digit = _VALUE[low[0]] if low else 0
    high_digit = _VALUE[high[0]]
    if high_digit - low_digit > 1:
        return DIGITS[(low_digit + high_digit) // 2]
    # Adjacent first digits: `high`'s first digit alone is between when `high`
    # has more digits; otherwise keep `low`'s first digit and go above the rest.
    if len(high) > 1:
        return high[0]
    return DIGITS[low_digit] + _key_after(low[1:])
