"""The cache of verified credentials: fast repeats, never the password, never stale."""

from werkzeug.security import generate_password_hash

from todo.credentials import VerifiedCredentials


def user(password_hash, username="alice"):
    return {"id": 1, "username": username, "password_hash": password_hash}


HASH = generate_password_hash("secret", "pbkdf2:sha256:1000")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_verified_password_is_remembered_and_a_wrong_one_is_not():
    cache = VerifiedCredentials()
    assert cache.verify(user(HASH), "secret") is True
    assert len(cache) == 1
    assert cache.verify(user(HASH), "wrong") is False
    assert len(cache) == 1


def test_the_cache_keeps_no_password():
    cache = VerifiedCredentials()
    cache.verify(user(HASH), "secret")
    assert all(b"secret" not in key for key in cache._entries)
    assert all("secret" not in repr(value) for value in cache._entries.values())


def test_a_new_hash_invalidates_the_entry():
    cache = VerifiedCredentials()
    cache.verify(user(HASH), "secret")
    changed = generate_password_hash("other", "pbkdf2:sha256:1000")
    assert cache.verify(user(changed), "secret") is False
    assert cache.verify(user(changed), "other") is True


def test_entries_expire():
    clock = Clock()
    cache = VerifiedCredentials(ttl=60, clock=clock)
    cache.verify(user(HASH), "secret")
    clock.now += 61
    assert cache.verify(user(HASH, "alice"), "wrong-but-cached?") is False
    assert cache.verify(user(HASH), "secret") is True   # re-verified with the hash


def test_the_cache_is_bounded():
    cache = VerifiedCredentials(max_entries=3)
    for i in range(10):
        cache.verify(user(HASH, f"user{i}"), "secret")
    assert len(cache) == 3


def test_a_zero_ttl_turns_it_off():
    cache = VerifiedCredentials(ttl=0)
    assert cache.verify(user(HASH), "secret") is True
    assert len(cache) == 0
