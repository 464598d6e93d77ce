from django.core.cache import cache


def test_the_redis_client_is_built_once_and_works(redis_cache):
    client = cache._cache.get_client(write=True)

    cache.set("probe", {"a": 1}, timeout=10)

    assert cache._cache.get_client(write=False) is client
    assert cache.get("probe") == {"a": 1}
    assert cache.get_many(["probe", "missing"]) == {"probe": {"a": 1}}
