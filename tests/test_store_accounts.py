"""The store contract for accounts and tokens, over every backend."""

import pytest

from todo.store import DuplicateUser

NOW = 1_800_000_000.0


@pytest.fixture
def alice(any_store):
    return any_store.add_user("alice", "hash-1")


def test_users_by_id(any_store, alice):
    assert any_store.get_user_by_id(alice["id"]) == alice
    assert any_store.get_user_by_id(alice["id"] + 1000) is None


def test_a_token_leads_to_its_user_until_it_expires(any_store, alice):
    any_store.add_token(alice["id"], "token-hash", NOW + 60, NOW)
    assert any_store.get_token_user("token-hash", NOW) == alice
    assert any_store.get_token_user("token-hash", NOW + 59.9) == alice
    assert any_store.get_token_user("token-hash", NOW + 60) is None
    assert any_store.get_token_user("other-hash", NOW) is None


def test_a_deleted_token_is_gone(any_store, alice):
    any_store.add_token(alice["id"], "token-hash", NOW + 60, NOW)
    assert any_store.delete_token("token-hash") is True
    assert any_store.delete_token("token-hash") is False
    assert any_store.get_token_user("token-hash", NOW) is None


def test_changing_the_password_revokes_every_token_of_that_user_only(any_store, alice):
    bob = any_store.add_user("bob", "hash-b")
    any_store.add_token(alice["id"], "a1", NOW + 60, NOW)
    any_store.add_token(alice["id"], "a2", NOW + 60, NOW)
    any_store.add_token(bob["id"], "b1", NOW + 60, NOW)
    assert any_store.set_password_hash(alice["id"], "hash-2") is True
    assert any_store.get_user("alice")["password_hash"] == "hash-2"
    assert any_store.get_token_user("a1", NOW) is None
    assert any_store.get_token_user("a2", NOW) is None
    assert any_store.get_token_user("b1", NOW) == bob
    assert any_store.set_password_hash(alice["id"] + 1000, "x") is False


def test_removing_a_user_revokes_their_tokens(any_store, alice):
    any_store.add_token(alice["id"], "a1", NOW + 60, NOW)
    any_store.remove_user("alice")
    assert any_store.get_token_user("a1", NOW) is None


def test_expired_tokens_are_forgotten_when_new_ones_come(any_store, alice):
    any_store.add_token(alice["id"], "old", NOW + 1, NOW)
    any_store.add_token(alice["id"], "new", NOW + 100, NOW + 50)
    assert any_store.delete_token("old") is False   # already purged
    assert any_store.get_token_user("new", NOW + 50) == alice


@pytest.mark.parametrize("spelling", ["Alice", "ALICE", "ａｌｉｃｅ", "ＡＬＩＣＥ"])
def test_names_differing_in_case_or_width_are_one_name(any_store, alice, spelling):
    with pytest.raises(DuplicateUser):
        any_store.add_user(spelling, "hash-2")
    assert any_store.list_users() == [alice]


@pytest.mark.parametrize("spelling", ["alice", "Alice", "ALICE", "ａｌｉｃｅ"])
def test_a_user_is_found_and_removed_by_any_spelling_of_the_name(any_store, alice, spelling):
    assert any_store.get_user(spelling) == alice
    assert any_store.remove_user(spelling) is True
    assert any_store.get_user("alice") is None
    assert any_store.remove_user(spelling) is False


def test_a_name_is_stored_normalised_and_keeps_its_case(any_store):
    susan = any_store.add_user("Ｓｕｓａｎ", "hash-s")   # full-width letters
    assert susan["username"] == "Susan"
    assert any_store.get_user("susan") == susan
    assert [u["username"] for u in any_store.list_users()] == ["Susan"]


@pytest.mark.parametrize("name", ["a\x00b", "\x00", "a\ud800", "\udcff"])
def test_a_name_no_database_can_hold_names_nobody(any_store, alice, name):
    assert any_store.get_user(name) is None
    assert any_store.remove_user(name) is False
    with pytest.raises(ValueError):
        any_store.add_user(name, "hash-x")
    assert any_store.list_users() == [alice]
