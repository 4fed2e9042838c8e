"""The `flask --app todo users` commands."""

import os
import subprocess
import sys

import pytest

from support import ROOT, TASKS, basic
from todo import create_app
from todo.store import open_store


def test_add_reads_the_password_from_stdin(runner, client):
    result = runner.invoke(args=["users", "add", "carol", "--password-stdin"],
                           input="carol-pass\nignored second line\n")
    assert result.exit_code == 0, result.output
    assert "carol" in result.output
    assert client.get(TASKS, headers=basic("carol", "carol-pass")).status_code == 200


def test_add_asks_for_the_password_twice(runner, client):
    result = runner.invoke(args=["users", "add", "carol"], input="pw-one-two\npw-one-two\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat" in result.output
    assert client.get(TASKS, headers=basic("carol", "pw-one-two")).status_code == 200


def test_add_refuses_passwords_that_do_not_match(runner, store):
    result = runner.invoke(args=["users", "add", "carol"], input="one\ntwo\n")
    assert result.exit_code != 0
    assert store.get_user("carol") is None


@pytest.mark.parametrize("stdin", ["\n", ""])
def test_add_refuses_an_empty_password(runner, store, stdin):
    result = runner.invoke(args=["users", "add", "carol", "--password-stdin"], input=stdin)
    assert result.exit_code != 0
    assert "empty" in result.output
    assert store.get_user("carol") is None


def test_add_refuses_a_duplicate_in_one_line(runner, store):
    before = store.get_user("alice")
    result = runner.invoke(args=["users", "add", "alice", "--password-stdin"], input="x\n")
    assert result.exit_code != 0
    assert result.output.strip().count("\n") == 0
    assert "exists" in result.output
    assert store.get_user("alice") == before


def test_remove_deletes_the_user_and_their_tasks_without_asking(runner, store):
    alice = store.get_user("alice")["id"]
    store.add_task(alice, "t")
    result = runner.invoke(args=["users", "remove", "alice"])
    assert result.exit_code == 0, result.output
    assert store.get_user("alice") is None
    assert store.list_tasks(alice) == []


def test_remove_an_unknown_user_fails_in_one_line(runner):
    result = runner.invoke(args=["users", "remove", "nobody"])
    assert result.exit_code != 0
    assert result.output.strip().count("\n") == 0
    assert "nobody" in result.output


def test_list(runner):
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert result.output.split() == ["alice", "bob"]


def test_store_option_names_another_store(runner, tmp_path):
    url = f"sqlite:///{tmp_path}/other.sqlite"
    result = runner.invoke(args=["users", "add", "dave", "--password-stdin", "--store", url],
                           input="dave-pass\n")
    assert result.exit_code == 0, result.output
    other = open_store(url)
    try:
        assert other.get_user("dave") is not None
    finally:
        other.close()
    assert runner.invoke(args=["users", "list", "--store", url]).output.split() == ["dave"]


def test_a_bad_store_option_fails_in_one_line(runner):
    result = runner.invoke(args=["users", "list", "--store", "mysql://x/y"])
    assert result.exit_code != 0
    assert result.output.strip().count("\n") == 0


@pytest.mark.slow
def test_the_real_flask_command_reads_todo_store(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    env = {**os.environ, "TODO_STORE": url}
    flask = [sys.executable, "-m", "flask", "--app", "todo", "users"]
    added = subprocess.run([*flask, "add", "erin", "--password-stdin"], input="erin-pass\n",
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([*flask, "list"], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=60)
    assert listed.stdout.split() == ["erin"]
    assert create_app({"STORE": url}).extensions["todo.store"].get_user("erin")


def _one_line_failure(result):
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    return result.output


@pytest.mark.parametrize("username", ["miguel ", " miguel", "a:b", "..", ".hidden", "-rf", "",
                                      "émile", "x" * 65, "tab\tname", "\udcff"])
def test_add_refuses_a_username_the_api_would_refuse(runner, store, username):
    result = runner.invoke(args=["users", "add", "--password-stdin", "--", username],
                           input="long-enough\n")
    assert "invalid username" in _one_line_failure(result)
    assert [u["username"] for u in store.list_users()] == ["alice", "bob"]


@pytest.mark.parametrize("password, reason", [
    ("x", "at least 8"), ("seven77", "at least 8"), ("x" * 1025, "at most 1024"),
    ("long\x00enough", "NUL"),
])
def test_add_refuses_a_password_the_api_would_refuse(runner, store, password, reason):
    result = runner.invoke(args=["users", "add", "carol", "--password-stdin"],
                           input=password + "\n")
    output = _one_line_failure(result)
    assert "invalid password" in output and reason in output
    assert store.get_user("carol") is None


def test_add_refuses_a_password_that_is_not_utf_8(runner, store):
    result = runner.invoke(args=["users", "add", "carol", "--password-stdin"],
                           input=b"long-\xffenough\n")
    assert "the password is not text" in _one_line_failure(result)
    assert store.get_user("carol") is None


@pytest.mark.parametrize("taken", ["ALICE", "Alice", "ａｌｉｃｅ"])
def test_add_refuses_a_name_taken_in_another_case_or_width(runner, store, taken):
    before = store.list_users()
    result = runner.invoke(args=["users", "add", taken, "--password-stdin"],
                           input="long-enough\n")
    assert "'alice' exists already" in _one_line_failure(result)
    assert store.list_users() == before


def test_add_refuses_a_name_taken_while_it_asked_for_the_password(runner, store, monkeypatch):
    # Another administrator adds the name between the command's check and its write.
    real_add_user = store.add_user

    def add_user_after_another(name, password_hash):
        real_add_user(name, "someone else's hash")
        return real_add_user(name, password_hash)
    monkeypatch.setattr(store, "add_user", add_user_after_another)
    result = runner.invoke(args=["users", "add", "dave", "--password-stdin"],
                           input="long-enough\n")
    assert "'dave' exists already" in _one_line_failure(result)
    assert store.get_user("dave")["password_hash"] == "someone else's hash"


def test_add_stores_the_name_normalised(runner, client, store):
    result = runner.invoke(args=["users", "add", "Ｃａｒｏｌ", "--password-stdin"],
                           input="carol-pass\n")
    assert result.exit_code == 0, result.output
    assert "'Carol'" in result.output
    assert store.get_user("carol")["username"] == "Carol"
    assert client.get(TASKS, headers=basic("carol", "carol-pass")).status_code == 200


@pytest.mark.parametrize("spelling", ["ALICE", "Alice", "ａｌｉｃｅ"])
def test_remove_finds_the_user_in_any_case(runner, store, spelling):
    result = runner.invoke(args=["users", "remove", spelling])
    assert result.exit_code == 0, result.output
    assert "'alice'" in result.output
    assert store.get_user("alice") is None and store.get_user("bob") is not None
