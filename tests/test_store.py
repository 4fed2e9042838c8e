"""The store contract, run against every backend."""

import threading
import time

import pytest

from support import SHARED_STORES, on_stores
from todo.store import DuplicateUser, NoSuchUser, StoreConfigError, open_store, sqlite_path
from todo.store.ordering import GAP


@pytest.fixture
def owner(any_store):
    return any_store.add_user("owner", "hash-1")["id"]


def test_users_are_added_found_listed_and_counted(any_store):
    alice = any_store.add_user("alice", "hash-a")
    bob = any_store.add_user("bob", "hash-b")
    assert alice == {"id": alice["id"], "username": "alice", "password_hash": "hash-a"}
    assert any_store.get_user("bob") == bob
    assert any_store.get_user("carol") is None
    assert [u["username"] for u in any_store.list_users()] == ["alice", "bob"]
    assert any_store.count_users() == 2


def test_a_username_is_taken_only_once(any_store):
    any_store.add_user("alice", "hash-a")
    with pytest.raises(DuplicateUser):
        any_store.add_user("alice", "other")
    assert any_store.get_user("alice")["password_hash"] == "hash-a"


def test_removing_a_user_removes_their_tasks_only(any_store):
    alice = any_store.add_user("alice", "h")["id"]
    bob = any_store.add_user("bob", "h")["id"]
    any_store.add_task(alice, "a")
    kept = any_store.add_task(bob, "b")
    assert any_store.remove_user("alice") is True
    assert any_store.remove_user("alice") is False
    assert any_store.get_user("alice") is None
    assert any_store.list_tasks(bob) == [kept]
    assert any_store.list_tasks(alice) == []


def test_tasks_and_tokens_of_a_missing_user_are_refused(any_store):
    # As when the account is deleted while one of its requests runs.
    gone = any_store.add_user("gone", "h")["id"]
    any_store.remove_user("gone")
    with pytest.raises(NoSuchUser):
        any_store.add_task(gone, "orphan")
    with pytest.raises(NoSuchUser):
        any_store.add_token(gone, "token-hash", time.time() + 60, time.time())
    assert any_store.get_token_user("token-hash", time.time()) is None
    assert any_store.list_tasks(gone) == []


def test_a_new_task_has_defaults_and_version_one(any_store, owner):
    task = any_store.add_task(owner, "Read a book")
    assert task == {"id": task["id"], "title": "Read a book", "description": "",
                    "done": False, "order": GAP, "version": 1}
    assert any_store.get_task(owner, task["id"]) == task


def test_tasks_are_listed_in_id_order(any_store, owner):
    ids = [any_store.add_task(owner, f"t{i}", f"d{i}", i % 2 == 0)["id"] for i in range(5)]
    tasks = any_store.list_tasks(owner)
    assert [t["id"] for t in tasks] == sorted(ids)
    assert [t["done"] for t in tasks] == [True, False, True, False, True]


def test_update_changes_only_the_given_fields_and_bumps_the_version(any_store, owner):
    task = any_store.add_task(owner, "title", "description")
    updated = any_store.update_task(owner, task["id"], {"done": True})
    assert updated == {**task, "done": True, "version": 2}
    updated = any_store.update_task(owner, task["id"], {"title": "new", "description": ""})
    assert updated == {**task, "title": "new", "description": "", "done": True, "version": 3}
    assert any_store.get_task(owner, task["id"]) == updated


def test_update_refuses_fields_outside_the_contract(any_store, owner):
    task = any_store.add_task(owner, "title")
    with pytest.raises(ValueError):
        any_store.update_task(owner, task["id"], {"id": 99})
    assert any_store.get_task(owner, task["id"]) == task


def test_delete_removes_the_task(any_store, owner):
    task = any_store.add_task(owner, "title")
    assert any_store.delete_task(owner, task["id"]) is True
    assert any_store.delete_task(owner, task["id"]) is False
    assert any_store.get_task(owner, task["id"]) is None


def test_another_users_task_does_not_exist_for_you(any_store, owner):
    other = any_store.add_user("other", "h")["id"]
    task = any_store.add_task(owner, "mine")
    assert any_store.get_task(other, task["id"]) is None
    assert any_store.update_task(other, task["id"], {"title": "stolen"}) is None
    assert any_store.delete_task(other, task["id"]) is False
    assert any_store.list_tasks(other) == []
    assert any_store.get_task(owner, task["id"]) == task


@pytest.mark.parametrize("task_id", [0, 2**63 - 1, 2**63, 10**30])
def test_ids_no_task_has_are_simply_not_found(any_store, owner, task_id):
    assert any_store.get_task(owner, task_id) is None
    assert any_store.update_task(owner, task_id, {"done": True}) is None
    assert any_store.delete_task(owner, task_id) is False


def test_ids_are_never_reused_even_after_deleting_the_newest(any_store, owner):
    first = any_store.add_task(owner, "one")["id"]
    second = any_store.add_task(owner, "two")["id"]
    any_store.delete_task(owner, second)
    third = any_store.add_task(owner, "three")["id"]
    assert third > second > first


def test_ids_are_global_across_users(any_store, owner):
    other = any_store.add_user("other", "h")["id"]
    ids = [any_store.add_task(owner, "a")["id"], any_store.add_task(other, "b")["id"],
           any_store.add_task(owner, "c")["id"]]
    assert len(set(ids)) == 3


def test_returned_data_is_a_copy(any_store, owner):
    task = any_store.add_task(owner, "title")
    task["title"] = "changed by the caller"
    any_store.get_task(owner, task["id"])["done"] = True
    assert any_store.get_task(owner, task["id"])["title"] == "title"
    assert any_store.get_task(owner, task["id"])["done"] is False


def test_concurrent_adds_from_many_threads_get_distinct_ids(any_store, owner):
    ids, errors = [], []

    def add_many():
        try:
            for i in range(25):
                ids.append(any_store.add_task(owner, f"t{i}")["id"])
        except Exception as exc:   # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=add_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(ids) == len(set(ids)) == 200
    assert len(any_store.list_tasks(owner)) == 200


@on_stores(*SHARED_STORES)
def test_data_survives_reopening(store_url):
    store = open_store(store_url)
    owner = store.add_user("owner", "hash-1")["id"]
    task = store.add_task(owner, "persistent")
    store.close()
    reopened = open_store(store_url)
    try:
        assert reopened.get_task(owner, task["id"]) == task
        assert reopened.get_user("owner")["id"] == owner
    finally:
        reopened.close()


@pytest.mark.parametrize("url", [
    "mysql://localhost/todo",
    "nonsense",
    "",
    "sqlite://",
    "sqlite:///",
    "sqlite:///:memory:",
])
def test_unusable_urls_are_refused_with_a_clear_message(url):
    with pytest.raises(StoreConfigError) as excinfo:
        open_store(url)
    message = str(excinfo.value)
    assert "\n" not in message
    assert "memory://" in message or ":memory:" in message


def test_an_unusable_sqlite_path_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreConfigError, match="cannot use SQLite database"):
        open_store(f"sqlite:///{blocker}/todo.sqlite")


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not an sqlite database" * 100)
    with pytest.raises(StoreConfigError):
        open_store(f"sqlite:///{path}")


@pytest.mark.parametrize("url, path", [
    ("sqlite:///todo.sqlite", "todo.sqlite"),
    ("sqlite:///data/todo.sqlite", "data/todo.sqlite"),
    ("sqlite:////var/lib/todo.sqlite", "/var/lib/todo.sqlite"),
])
def test_sqlite_urls_follow_the_sqlalchemy_convention(url, path):
    assert sqlite_path(url) == path


def test_a_missing_parent_folder_is_created(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/a/b/todo.sqlite")
    store.close()
    assert (tmp_path / "a" / "b" / "todo.sqlite").exists()


def test_sqlite_uses_wal_and_records_its_schema_version(tmp_path):
    from todo.store.sqlite import SCHEMA_VERSION
    import sqlite3

    store = open_store(f"sqlite:///{tmp_path}/todo.sqlite")
    store.close()
    conn = sqlite3.connect(tmp_path / "todo.sqlite")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
