"""Databases made by earlier releases, migrated in place: case-insensitive usernames."""

import os
import sqlite3
import subprocess
import sys

import pytest

from servers import free_port
from support import ROOT
from todo import create_app
from todo.store import DuplicateUser, StoreConfigError, open_store
from todo.store.ordering import GAP

# The schema version before usernames had keys (MIGRATIONS[3] adds them).
BEFORE_KEYS = 3


class OldDatabase:
    """A database at schema version BEFORE_KEYS, reached through its driver alone."""

    def __init__(self, backend, url, module):
        self.backend, self.url, self.module = backend, url, module

    def execute(self, sql, params=()):
        """Run one statement (with ? placeholders) in its own transaction; return its rows."""
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                with conn:
                    cur = conn.execute(sql, params)
                    return cur.fetchall() if cur.description else []
            finally:
                conn.close()
        import psycopg
        with psycopg.connect(self.url) as conn:
            cur = conn.execute(sql.replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []

    def add_users(self, *names):
        """Add users as the earlier release did: any name, only the name itself unique."""
        for name in names:
            self.execute("INSERT INTO users (username, password_hash) VALUES (?, ?)",
                         (name, f"hash-of-{name}"))

    @property
    def schema_version(self):
        if self.backend == "sqlite":
            return self.execute("PRAGMA user_version")[0][0]
        return self.execute("SELECT version FROM schema_version")[0][0]

    @property
    def user_columns(self):
        if self.backend == "sqlite":
            return [row[1] for row in self.execute("PRAGMA table_info(users)")]
        return [row[0] for row in self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' "
            "ORDER BY ordinal_position")]

    def usernames(self):
        return [row[0] for row in self.execute("SELECT username FROM users ORDER BY id")]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request, tmp_path, monkeypatch):
    """An empty database as the release before case-insensitive usernames made it."""
    if request.param == "sqlite":
        from todo.store import sqlite as module
        url = f"sqlite:///{tmp_path}/old.sqlite"
    else:
        from todo.store import postgres as module
        url = request.getfixturevalue("postgres").create_database(f"old_{os.getpid()}")
    with monkeypatch.context() as patch:
        # That release ran the migrations up to this one, with the same code.
        patch.setattr(module, "SCHEMA_VERSION", BEFORE_KEYS)
        open_store(url).close()
    database = OldDatabase(request.param, url, module)
    assert database.schema_version == BEFORE_KEYS
    assert "username_key" not in database.user_columns
    return database


def test_the_migration_keys_every_name_and_keeps_the_data(old_database):
    old_database.add_users("Miguel", "ｓｕｓａｎ", "bob", "legacy name")
    miguel = old_database.execute("SELECT id FROM users WHERE username = 'Miguel'")[0][0]
    old_database.execute("INSERT INTO tasks (user_id, title) VALUES (?, 'kept')", (miguel,))

    store = open_store(old_database.url)
    try:
        assert store.schema_version == old_database.module.SCHEMA_VERSION > BEFORE_KEYS
        # Found by any case; the case stays as registered, the width is normalised.
        assert store.get_user("MIGUEL") == {"id": miguel, "username": "Miguel",
                                            "password_hash": "hash-of-Miguel"}
        assert store.get_user("SUSAN")["username"] == "susan"
        assert store.get_user("legacy NAME")["username"] == "legacy name"
        assert [t["title"] for t in store.list_tasks(miguel)] == ["kept"]
        assert store.get_user("miguel")["id"] == miguel
        with pytest.raises(DuplicateUser):
            store.add_user("miguel", "another-hash")
        assert store.add_user("carol", "hash-c")["username"] == "carol"
    finally:
        store.close()


def test_names_that_clash_stop_the_start_in_one_line_and_change_nothing(old_database):
    old_database.add_users("miguel", "erin", "Miguel", "bob", "ｄａｖｅ", "MIGUEL", "Bob",
                           "dave")
    before = old_database.execute("SELECT * FROM users ORDER BY id")

    with pytest.raises(StoreConfigError) as excinfo:
        open_store(old_database.url)
    message = str(excinfo.value)
    assert "\n" not in message
    assert "'miguel', 'Miguel', 'MIGUEL'; 'bob', 'Bob'; 'ｄａｖｅ', 'dave'" in message
    assert "erin" not in message
    assert "Nothing was changed" in message

    assert old_database.schema_version == BEFORE_KEYS
    assert "username_key" not in old_database.user_columns
    assert old_database.execute("SELECT * FROM users ORDER BY id") == before

    # Once the operator has settled each clash, the next start migrates.
    old_database.execute("DELETE FROM users WHERE username IN ('Miguel', 'MIGUEL', 'Bob', 'dave')")
    store = open_store(old_database.url)
    try:
        assert store.get_user("MIGUEL")["username"] == "miguel"
        assert store.get_user("DAVE")["username"] == "dave"   # ｄａｖｅ, normalised
    finally:
        store.close()


def test_a_failed_migration_stops_create_app_and_run_py_in_one_line(tmp_path, monkeypatch):
    from todo.store import sqlite as module
    url = f"sqlite:///{tmp_path}/old.sqlite"
    with monkeypatch.context() as patch:
        patch.setattr(module, "SCHEMA_VERSION", BEFORE_KEYS)
        open_store(url).close()
    OldDatabase("sqlite", url, module).add_users("alice", "ALICE")

    with pytest.raises(StoreConfigError, match="'alice', 'ALICE'"):
        create_app({"STORE": url})
    result = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "--port",
                             str(free_port()), "--store", url], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ") and "'alice', 'ALICE'" in result.stderr


def test_the_message_names_a_bounded_number_of_clashes(tmp_path, monkeypatch):
    from todo.store import sqlite as module
    url = f"sqlite:///{tmp_path}/old.sqlite"
    with monkeypatch.context() as patch:
        patch.setattr(module, "SCHEMA_VERSION", BEFORE_KEYS)
        open_store(url).close()
    database = OldDatabase("sqlite", url, module)
    database.add_users(*(name for i in range(30) for name in (f"user{i}", f"USER{i}")))

    with pytest.raises(StoreConfigError) as excinfo:
        open_store(url)
    message = str(excinfo.value)
    assert "'user9', 'USER9'" in message and "user10" not in message
    assert "and 20 more groups" in message
    assert len(message) < 1000


def test_a_user_without_a_key_is_refused_after_the_migration(tmp_path):
    # A server still running the earlier release would add one: SQLite has no
    # NOT NULL for an added column, so a trigger stands in for it.
    url = f"sqlite:///{tmp_path}/new.sqlite"
    open_store(url).close()
    from todo.store import sqlite as module
    with pytest.raises(sqlite3.IntegrityError, match="username_key"):
        OldDatabase("sqlite", url, module).add_users("zoe")


def old_store(backend, version, names, request, tmp_path, monkeypatch):
    """Make a store of ``backend`` at schema ``version`` holding users ``names``;
    return (its URL, its store module, the users' ids)."""
    if backend == "sqlite":
        from todo.store import sqlite as module
        url = f"sqlite:///{tmp_path}/old.sqlite"
    else:
        from todo.store import postgres as module
        url = request.getfixturevalue("postgres").create_database(
            f"v{version}_{os.getpid()}")
    with monkeypatch.context() as patch:
        patch.setattr(module, "SCHEMA_VERSION", version)
        old = open_store(url)
        ids = [old.add_user(name, "h")["id"] for name in names]
        old.close()
    return url, module, ids


# The schema version before the list indexes, done counts and text search (MIGRATIONS[4]).
BEFORE_LIST_INDEXES = 4


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_list_indexes_migration_counts_and_indexes_the_tasks_there_are(backend, request,
                                                                           tmp_path,
                                                                           monkeypatch):
    url, module, (owner,) = old_store(backend, BEFORE_LIST_INDEXES, ["owner"], request,
                                      tmp_path, monkeypatch)
    # Tasks as that release wrote them, through the driver alone.
    database = OldDatabase(backend, url, module)
    kept = []
    for title, description, done in [("Learn Python", "", True), ("Buy milk", "with PYTHON", False),
                                     ("Read", "", True), ("ÉCOLE", "Ünterricht", False)]:
        database.execute("INSERT INTO tasks (user_id, title, description, done) "
                         "VALUES (?, ?, ?, ?)", (owner, title, description, done))
        task_id = database.execute("SELECT max(id) FROM tasks")[0][0]
        # The later migration to task order gives them their id order.
        kept.append({"id": task_id, "title": title, "description": description,
                     "done": done, "order": task_id * GAP, "version": 1})
    store = open_store(url)
    try:
        assert store.schema_version == module.SCHEMA_VERSION > BEFORE_LIST_INDEXES
        assert store.find_tasks(owner, done=True) == ([kept[0], kept[2]], 2)
        assert store.find_tasks(owner, done=False) == ([kept[1], kept[3]], 2)
        assert store.find_tasks(owner, q="python") == (kept[:2], 2)
        assert store.find_tasks(owner, q="école") == ([kept[3]], 1)
        assert store.find_tasks(owner, q="ünter") == ([kept[3]], 1)
        assert store.find_tasks(owner, startswith="buy") == ([kept[1]], 1)
        assert store.find_tasks(owner, startswith="éc") == ([kept[3]], 1)
        assert store.find_tasks(owner, sort=[("title", False)])[0] == [
            kept[1], kept[0], kept[2], kept[3]]
    finally:
        store.close()


def test_pg_trgm_missing_leaves_q_working(postgres, monkeypatch, caplog):
    from todo.store import postgres as module
    # An extension this server does not have, as pg_trgm is where contrib is not installed.
    monkeypatch.setattr(module, "_TRIGRAM_EXTENSION", "CREATE EXTENSION no_such_extension")
    store = open_store(postgres.create_database(f"no_trgm_{os.getpid()}"))
    try:
        assert "pg_trgm is not available" in caplog.text
        owner = store.add_user("owner", "h")["id"]
        task = store.add_task(owner, "Learn Python")
        assert store.find_tasks(owner, q="python") == ([task], 1)
    finally:
        store.close()


# The schema versions before task order (each backend's last migration).
BEFORE_ORDER = {"sqlite": 5, "postgresql": 6}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_order_migration_keeps_each_list_in_id_order(backend, request, tmp_path,
                                                         monkeypatch):
    url, module, owners = old_store(backend, BEFORE_ORDER[backend], ["ann", "ben"], request,
                                    tmp_path, monkeypatch)
    # Two lists, interleaved, as that release wrote them, through the driver alone.
    database = OldDatabase(backend, url, module)
    for n in range(6):
        database.execute("INSERT INTO tasks (user_id, title) VALUES (?, ?)",
                         (owners[n % 2], f"Task {n}"))
    store = open_store(url)
    try:
        assert store.schema_version == module.SCHEMA_VERSION == BEFORE_ORDER[backend] + 1
        for owner in owners:
            by_id = store.list_tasks(owner)
            by_order = store.find_tasks(owner, sort=[("order", False)])[0]
            assert by_order == by_id
            assert [t["order"] for t in by_id] == [t["id"] * GAP for t in by_id]
            assert store.add_task(owner, "New")["order"] == by_id[-1]["order"] + GAP
    finally:
        store.close()
