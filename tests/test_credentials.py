"""Password hashing and the cache of verified credentials: bounded, never the password, never stale."""

import threading

import pytest
from werkzeug.security import generate_password_hash

from todo.clock import ManualClock
from todo.credentials import HashingBusy, PasswordHashing, VerifiedCredentials


def user(password_hash, username="alice"):
    return {"id": 1, "username": username, "password_hash": password_hash}


HASH = generate_password_hash("secret", "pbkdf2:sha256:1000")


def test_a_remembered_password_is_known_and_another_is_not():
    cache = VerifiedCredentials()
    assert not cache.known(user(HASH), "secret")
    cache.remember(user(HASH), "secret")
    assert cache.known(user(HASH), "secret")
    assert not cache.known(user(HASH), "wrong")
    assert len(cache) == 1


def test_the_cache_keeps_no_password():
    cache = VerifiedCredentials()
    cache.remember(user(HASH), "secret")
    assert all(b"secret" not in key for key in cache._entries)
    assert all("secret" not in repr(value) for value in cache._entries.values())


def test_a_new_hash_invalidates_the_entry():
    cache = VerifiedCredentials()
    cache.remember(user(HASH), "secret")
    changed = generate_password_hash("other", "pbkdf2:sha256:1000")
    assert not cache.known(user(changed), "secret")
    assert len(cache) == 0


def test_entries_expire():
    clock = ManualClock(1000.0)
    cache = VerifiedCredentials(ttl=60, clock=clock)
    cache.remember(user(HASH), "secret")
    clock.advance(59)
    assert cache.known(user(HASH), "secret")
    clock.advance(2)
    assert not cache.known(user(HASH), "secret")


def test_the_cache_is_bounded():
    cache = VerifiedCredentials(max_entries=3)
    for i in range(10):
        cache.remember(user(HASH, f"user{i}"), "secret")
    assert len(cache) == 3
    assert cache.known(user(HASH, "user9"), "secret")
    assert not cache.known(user(HASH, "user0"), "secret")


def test_a_zero_ttl_turns_it_off():
    cache = VerifiedCredentials(ttl=0)
    cache.remember(user(HASH), "secret")
    assert len(cache) == 0
    assert not cache.known(user(HASH), "secret")


def test_hashes_are_scrypt_and_check():
    hashing = PasswordHashing()
    stored = hashing.hash("secret")
    assert stored.startswith("scrypt:")
    assert hashing.check(stored, "secret")
    assert not hashing.check(stored, "wrong")
    assert not hashing.check(None, "secret")   # no such user: a dummy hash, still False


def test_no_more_hashes_than_the_bound_run_at_once_and_the_rest_wait():
    hashing = PasswordHashing(concurrency=2, wait=0.05)
    both_held = threading.Barrier(3, timeout=5)
    done = threading.Event()

    def hold():
        with hashing.turn():
            both_held.wait()
            done.wait(5)
    threads = [threading.Thread(target=hold) for _ in range(2)]
    for thread in threads:
        thread.start()
    both_held.wait()
    try:
        with pytest.raises(HashingBusy):
            hashing.check(HASH, "secret")
    finally:
        done.set()
        for thread in threads:
            thread.join(5)
    assert hashing.check(HASH, "secret")   # a slot is free again
