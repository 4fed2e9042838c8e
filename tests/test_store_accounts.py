"""The store contract for accounts and tokens, over every backend."""

import pytest

from todo.store import open_store

NOW = 1_800_000_000.0


@pytest.fixture
def store(store_url):
    store = open_store(store_url)
    yield store
    store.close()


@pytest.fixture
def alice(store):
    return store.add_user("alice", "hash-1")


def test_users_by_id(store, alice):
    assert store.get_user_by_id(alice["id"]) == alice
    assert store.get_user_by_id(alice["id"] + 1000) is None


def test_a_token_leads_to_its_user_until_it_expires(store, alice):
    store.add_token(alice["id"], "token-hash", NOW + 60, NOW)
    assert store.get_token_user("token-hash", NOW) == alice
    assert store.get_token_user("token-hash", NOW + 59.9) == alice
    assert store.get_token_user("token-hash", NOW + 60) is None
    assert store.get_token_user("other-hash", NOW) is None


def test_a_deleted_token_is_gone(store, alice):
    store.add_token(alice["id"], "token-hash", NOW + 60, NOW)
    assert store.delete_token("token-hash") is True
    assert store.delete_token("token-hash") is False
    assert store.get_token_user("token-hash", NOW) is None


def test_changing_the_password_revokes_every_token_of_that_user_only(store, alice):
    bob = store.add_user("bob", "hash-b")
    store.add_token(alice["id"], "a1", NOW + 60, NOW)
    store.add_token(alice["id"], "a2", NOW + 60, NOW)
    store.add_token(bob["id"], "b1", NOW + 60, NOW)
    assert store.set_password_hash(alice["id"], "hash-2") is True
    assert store.get_user("alice")["password_hash"] == "hash-2"
    assert store.get_token_user("a1", NOW) is None and store.get_token_user("a2", NOW) is None
    assert store.get_token_user("b1", NOW) == bob
    assert store.set_password_hash(alice["id"] + 1000, "x") is False


def test_removing_a_user_revokes_their_tokens(store, alice):
    store.add_token(alice["id"], "a1", NOW + 60, NOW)
    store.remove_user("alice")
    assert store.get_token_user("a1", NOW) is None


def test_expired_tokens_are_forgotten_when_new_ones_come(store, alice):
    store.add_token(alice["id"], "old", NOW + 1, NOW)
    store.add_token(alice["id"], "new", NOW + 100, NOW + 50)
    assert store.delete_token("old") is False   # already purged
    assert store.get_token_user("new", NOW + 50) == alice
