import random

import pytest
from django.db import connection

from tasks.positions import (
    BASE,
    DIGITS,
    MAX_LENGTH,
    is_key,
    key_between,
    keys_between,
    needs_rebalance,
    spread,
)


def random_group(seed, size):
    """`size` keys, each inserted at a random place among the ones before it."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    keys = [key_between(None, None)]
    for _ in range(size - 1):
        index = rng.randint(0, len(keys))
        before = keys[index - 1] if index else None
        after = keys[index] if index < len(keys) else None
        keys.insert(index, key_between(before, after))
    return keys, rng


def check_group(keys):
    assert all(is_key(key) for key in keys)
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_first_key_of_an_empty_group():
    assert is_key(key_between(None, None))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("1", "2"),
        ("1", "11"),
        ("V", "W"),
        ("z", None),
        (None, "1"),
        (None, "01"),
        ("0z", "1"),
        ("Vz", "W1"),
    ],
)
def test_key_between_sorts_between_its_neighbours(before, after):
    key = key_between(before, after)
    assert is_key(key)
    assert before is None or before < key
    assert after is None or key < after


def test_random_insertions_keep_one_strict_order():
    keys, _ = random_group(20261204, 3000)
    check_group(keys)


@pytest.mark.parametrize("at_end", [True, False])
def test_appending_or_prepending_grows_keys_slowly(at_end):
    keys = [key_between(None, None)]
    for _ in range(10_000):
        if at_end:
            keys.append(key_between(keys[-1], None))
        else:
            keys.insert(0, key_between(None, keys[0]))
    check_group(keys)
    # About one character per 61 steps: a 10,000-task list fits before a rebalance.
    assert max(len(key) for key in keys) <= 10_000 // 61 + 2


def test_inserting_always_at_one_spot_reaches_the_rebalance_length():
    low, high = "1", "2"
    for _ in range(400):
        high = key_between(low, high)
    assert low < high
    assert needs_rebalance(high)
    assert not needs_rebalance("V" * MAX_LENGTH)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 61, 62, 1000, 10_000])
def test_spread_gives_short_even_keys_with_room_at_both_ends(count):
    keys = spread(count)
    assert len(keys) == count
    check_group(keys)
    if keys:
        assert key_between(None, keys[0]) < keys[0]
        assert key_between(keys[-1], None) > keys[-1]
        assert max(len(key) for key in keys) <= 4
        # The outer quarters of the range stay free.
        assert keys[0] >= DIGITS[BASE // 4]
        assert keys[-1] < DIGITS[3 * BASE // 4 + 1]


@pytest.mark.parametrize(
    ("before", "after"),
    [("2", "1"), ("1", "1"), ("10", None), (None, ""), ("a b", None), (None, "0")],
)
def test_key_between_refuses_bad_neighbours(before, after):
    with pytest.raises(ValueError):
        key_between(before, after)


@pytest.mark.django_db
def test_the_database_orders_keys_as_python_does():
    # The order lives in the database: PostgreSQL needs collation "C" for it
    # (a linguistic collation puts "a" before "B"); SQLite compares bytes.
    keys, rng = random_group(7, 300)
    shuffled = keys[:]
    rng.shuffle(shuffled)
    order = 'k COLLATE "C"' if connection.vendor == "postgresql" else "k"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE position_check (k TEXT)")
        cursor.executemany(
            "INSERT INTO position_check (k) VALUES (%s)", [(key,) for key in shuffled]
        )
        cursor.execute(f"SELECT k FROM position_check ORDER BY {order}")  # noqa: S608
        ordered = [row[0] for row in cursor.fetchall()]
        cursor.execute("DROP TABLE position_check")
    assert ordered == keys


@pytest.mark.parametrize("count", [1, 7, 500])
def test_keys_between_fill_any_gap_in_order_and_short(count):
    rng = random.Random(count)  # noqa: S311  # test data, not secrets
    gaps = [(None, None), ("V", None), (None, "V"), ("U", "V1"), ("V", "V01")]
    for _ in range(200):
        low, high = sorted(rng.sample(spread(50), 2))
        gaps.append((low, high + rng.choice(["", "1", "V"])))
    for low, high in gaps:
        keys = keys_between(low, high, count)

        assert keys == sorted(keys) and len(set(keys)) == count
        assert all(is_key(key) and len(key) <= 8 for key in keys)
        assert low is None or low < keys[0]
        assert high is None or keys[-1] < high
