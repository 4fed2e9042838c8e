"""Password hashing and the cache of verified credentials: bounded, never the password, never stale."""

import threading

import pytest
from werkzeug.security import generate_password_hash

from support import TASKS, basic
from todo import create_app
from todo.clock import ManualClock
from todo.config import ConfigError
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


@pytest.mark.real_password_hashes
def test_new_passwords_are_hashed_with_scrypt_by_default(tmp_path):
    app = create_app({"STORE": f"sqlite:///{tmp_path}/t.sqlite"})
    assert app.config["PASSWORD_HASH"] == "scrypt"
    result = app.test_cli_runner().invoke(args=["users", "add", "carol", "--password-stdin"],
                                          input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    # werkzeug's scrypt: N=2**15, r=8, p=1.
    assert app.extensions["todo.store"].get_user("carol")["password_hash"].startswith(
        "scrypt:32768:8:1$")


def add_user(app, name, password):
    result = app.test_cli_runner().invoke(args=["users", "add", name, "--password-stdin"],
                                          input=password + "\n")
    assert result.exit_code == 0, result.output
    return app.extensions["todo.store"].get_user(name)["password_hash"]


def test_hashes_made_by_another_method_keep_working(tmp_path):
    url = f"sqlite:///{tmp_path}/t.sqlite"
    before = create_app({"STORE": url, "PASSWORD_HASH": "pbkdf2:sha256:1000"})
    assert add_user(before, "carol", "carol-secret").startswith("pbkdf2:sha256:1000$")
    after = create_app({"STORE": url, "PASSWORD_HASH": "scrypt:16384:8:1"})
    assert after.test_client().get(TASKS, headers=basic("carol", "carol-secret")).status_code == 200
    assert add_user(after, "dave", "dave-secret").startswith("scrypt:16384:8:1$")
    assert after.test_client().get(TASKS, headers=basic("dave", "dave-secret")).status_code == 200


@pytest.mark.parametrize("method", [
    "md5", "plain", "", 5, "scrypt:16384", "scrypt:0:8:1", "scrypt:16384:0:1",
    "pbkdf2:sha1",   # werkzeug makes it; this service takes SHA-256 and SHA-512 only
])
def test_a_hash_method_not_taken_is_refused_at_start(method):
    with pytest.raises(ConfigError, match="^TODO_PASSWORD_HASH must be"):
        create_app({"STORE": "memory://", "PASSWORD_HASH": method})


@pytest.mark.parametrize("method", [
    "scrypt:1000:8:1",        # N not a power of 2
    "scrypt:65536:1:1",       # more memory than werkzeug lets scrypt have
    "scrypt:64:8:1",
    "scrypt:2097152:8:1",     # more than OpenSSL allows
    "pbkdf2:sha256:2147483648",
])
def test_a_hash_method_that_cannot_make_a_hash_is_refused_at_start(method):
    # Taken, it would answer 500 at the first login of an unknown user or registration.
    with pytest.raises(ConfigError, match=f"^TODO_PASSWORD_HASH '{method}' cannot make a hash"):
        create_app({"STORE": "memory://", "PASSWORD_HASH": method})


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
