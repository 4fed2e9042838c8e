"""The `flask --app todo store` commands: backup, copy to another store, check."""

import itertools
import sqlite3
import threading

import pytest

from support import PASSWORDS, TASKS, basic, cheap_hash
from todo import create_app
from todo.store import open_store, transfer
from todo.store.memory import MemoryStore

TOKENS = "/todo/api/v1.0/tokens"
_databases = itertools.count()


@pytest.fixture
def sqlite_url(tmp_path):
    """The URL of a new SQLite file (absolute: four slashes)."""
    return f"sqlite:///{tmp_path / 'todo.sqlite'}"


@pytest.fixture
def postgres_url(postgres):
    """The URL of a new database of the suite's PostgreSQL server, this test's alone."""
    return postgres.create_database(f"store_tools_{next(_databases)}")


def make_app(url):
    """Return the app over the store at ``url``."""
    return create_app({"TESTING": True, "STORE": url})


def run(app, *args):
    """Run `flask --app todo store ARGS` on ``app`` and return click's result."""
    return app.test_cli_runner().invoke(args=["store", *args])


def fill(app):
    """Give alice and bob tasks, some changed, one deleted, and alice a token; return it."""
    store = app.extensions["todo.store"]
    for name, password in PASSWORDS.items():
        store.add_user(name, cheap_hash(password))
    client = app.test_client()
    for name in PASSWORDS:
        for title in ("Buy groceries", "Learn Python", "Read a book"):
            assert client.post(TASKS, json={"title": f"{title} ({name})"},
                               headers=credentials(name)).status_code == 201
    alice = credentials("alice")
    uris = [task["uri"] for task in client.get(TASKS, headers=alice).get_json()["tasks"]]
    client.put(uris[0], json={"done": True}, headers=alice)
    client.put(uris[0], json={"description": "milk, cheese"}, headers=alice)
    # The newest task goes: its id must not come back in the new store.
    bob = credentials("bob")
    client.delete(client.get(TASKS, headers=bob).get_json()["tasks"][-1]["uri"], headers=bob)
    store.add_user("carol", cheap_hash("carol-secret"))
    store.remove_user("carol")
    return client.post(TOKENS, headers=alice).get_json()["token"]


def credentials(name):
    return basic(name, PASSWORDS[name])


def answers(app):
    """Return what the service answers each user: every task's body and ETag, and the list."""
    client = app.test_client()
    seen = {}
    for name in PASSWORDS:
        listed = client.get(TASKS, headers=credentials(name))
        seen[name, TASKS] = listed.get_json(), listed.headers["ETag"]
        for task in listed.get_json()["tasks"]:
            response = client.get(task["uri"], headers=credentials(name))
            seen[name, task["uri"]] = response.get_json(), response.headers["ETag"]
    return seen


def one_line(result):
    return result.output.strip().count("\n") == 0


# -- backup ------------------------------------------------------------------


def test_a_backup_taken_while_a_writer_adds_tasks_is_one_moment(sqlite_url, tmp_path):
    app = make_app(sqlite_url)
    store = app.extensions["todo.store"]
    user = store.add_user("alice", cheap_hash(PASSWORDS["alice"]))["id"]
    stop, written = threading.Event(), []

    def write():
        writer = open_store(sqlite_url)   # another connection, as another server's would be
        try:
            while not stop.is_set():
                written.append(writer.add_task(user, f"task {len(written) + 1}")["id"])
        finally:
            writer.close()
    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        results = [run(app, "backup", str(tmp_path / f"backup-{i}.sqlite")) for i in range(3)]
        # The service keeps serving: the writer goes on past every backup.
        after = len(written)
        for _ in range(500):
            if len(written) > after + 5:
                break
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join()
    seen = []
    for i, result in enumerate(results):
        assert result.exit_code == 0, result.output
        assert one_line(result) and result.output.startswith("Backed up 1 user, ")
        with sqlite3.connect(tmp_path / f"backup-{i}.sqlite") as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            ids = [row[0] for row in copy.execute("SELECT id FROM tasks ORDER BY id")]
            kept_count = copy.execute("SELECT task_count FROM users").fetchone()[0]
        # The writer's tasks up to a moment, none missing, and the count kept with them.
        assert ids == written[:len(ids)] and kept_count == len(ids) > 0
        assert f" {len(ids)} tasks, " in result.output
        seen.append(len(ids))
    assert seen == sorted(seen) and seen[-1] < len(written)
    store.close()


def test_a_backup_opens_as_a_store_with_the_same_answers(sqlite_url, tmp_path):
    app = make_app(sqlite_url)
    fill(app)
    backup = tmp_path / "backup.sqlite"
    assert run(app, "backup", str(backup)).exit_code == 0
    restored = make_app(f"sqlite:///{backup}")
    assert answers(restored) == answers(app)
    restored.extensions["todo.store"].close()
    app.extensions["todo.store"].close()


@pytest.mark.parametrize("target, message", [
    ("exists.sqlite", "'{path}' exists already: back up to a new file"),
    ("missing/backup.sqlite", "cannot write the backup '{path}': No such file or directory"),
])
def test_a_backup_refuses_in_one_line(sqlite_url, tmp_path, target, message):
    app = make_app(sqlite_url)
    (tmp_path / "exists.sqlite").write_bytes(b"keep me")
    path = str(tmp_path / target)
    result = run(app, "backup", path)
    assert result.exit_code == 1 and one_line(result)
    assert result.output == f"Error: {message.format(path=path)}\n"
    assert (tmp_path / "exists.sqlite").read_bytes() == b"keep me"
    app.extensions["todo.store"].close()


def test_a_backup_that_fails_its_integrity_check_fails_in_one_line(sqlite_url, tmp_path,
                                                                   monkeypatch):
    app = make_app(sqlite_url)
    fill(app)
    from todo.store.sqlite import SQLiteStore
    # Whatever damaged the copy (a disk error, say), the check of the new file finds it.
    monkeypatch.setattr(SQLiteStore, "integrity_problems", lambda store: ["page 3 is damaged"])
    path = str(tmp_path / "backup.sqlite")
    result = run(app, "backup", path)
    assert result.exit_code == 1 and one_line(result)
    assert result.output == f"Error: the backup {path!r} fails its integrity check: " \
                            "page 3 is damaged\n"
    app.extensions["todo.store"].close()


def test_a_postgresql_backup_points_to_pg_dump(postgres_url, tmp_path):
    app = make_app(postgres_url)
    result = run(app, "backup", str(tmp_path / "backup"))
    assert result.exit_code == 1 and one_line(result)
    assert "pg_dump" in result.output
    assert not (tmp_path / "backup").exists()
    app.extensions["todo.store"].close()


# -- copy --------------------------------------------------------------------


def test_a_copy_sqlite_to_postgresql_to_sqlite_answers_the_same(sqlite_url, postgres_url,
                                                                 tmp_path):
    first = make_app(sqlite_url)
    token = fill(first)
    before = answers(first)
    ids = first.extensions["todo.store"].export_rows(0)
    urls = [postgres_url, f"sqlite:///{tmp_path / 'back.sqlite'}"]
    source = first
    for url in urls:
        result = run(source, "copy", "--to", url)
        assert result.exit_code == 0, result.output
        assert result.output == f"Copied 2 users, 5 tasks, 1 token to {url}.\n"
        source.extensions["todo.store"].close()
        source = make_app(url)
        assert answers(source) == before
        client = source.test_client()
        # Old credentials work: password hashes and token hashes came along.
        assert client.get(TASKS, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert source.extensions["todo.store"].export_rows(0)["tasks"] == ids["tasks"]
    # New ids continue above every one handed out before, the deleted ones included.
    store = source.extensions["todo.store"]
    created = client.post(TASKS, json={"title": "new"}, headers=credentials("alice"))
    assert created.get_json()["task"]["uri"].endswith(f"/{ids['ids']['tasks'] + 1}")
    assert ids["ids"] == {"users": 3, "tasks": 6}
    assert store.add_user("dave", cheap_hash("dave-secret"))["id"] == 4
    store.close()


# Texts in mixed case, with letters beyond ASCII: a store searches and sorts them by their
# lowered keys, which a copy into SQLite must write beside them (title_key, description_key).
SEARCHED = [("École du soir", "CAFÉ au lait"), ("écrire une lettre", ""),
            ("Über den Berg", "mit der BAHN"), ("über alles", "Café noir"),
            ("ÜBUNG macht den Meister", ""), ("Buy bread", "and écrevisses"),
            ("buy Éclairs", ""), ("Zebra crossing", "über die Straße"), ("apple pie", "")]
SEARCHES = [
    {"q": "café"}, {"q": "ÉCR"}, {"q": "über"}, {"q": "Bahn"}, {"q": "é"},
    {"startswith": "é"}, {"startswith": "ÉCOLE"}, {"startswith": "über"},
    {"startswith": "Ü"}, {"startswith": "BUY"}, {"startswith": "buy é", "q": "clair"},
    {"q": "über", "startswith": "ü"}, {},
]


def searched(store, user_id):
    """Return the store's answers to SEARCHES for the user, each sorted by title."""
    return [store.find_tasks(user_id, sort=[("title", False)], **query) for query in SEARCHES]


@pytest.mark.postgres
@pytest.mark.parametrize("source, destination", [("sqlite", "postgresql"),
                                                 ("postgresql", "sqlite")])
def test_a_copy_keeps_search_and_sort_by_title_working(sqlite_url, postgres_url, source,
                                                       destination):
    urls = {"sqlite": sqlite_url, "postgresql": postgres_url}
    app = make_app(urls[source])
    store = app.extensions["todo.store"]
    users = [store.add_user(name, cheap_hash(password))["id"]
             for name, password in PASSWORDS.items()]
    for user in users:
        for title, description in SEARCHED:
            store.add_task(user, title, description)
    # A changed title and description are searched and sorted by their new keys.
    changed = store.add_task(users[0], "placeholder")
    store.update_task(users[0], changed["id"], {"title": "ÉTÉ indien",
                                                "description": "Über Nacht"})
    before = {user: searched(store, user) for user in users}
    # Every search finds something, and titles sort lowered, by code point: the answers
    # compared below are not empty, nor in id order.
    assert all(page[1] for page in before[users[0]])
    assert [task["title"] for task in before[users[0]][-1][0]] == [
        "apple pie", "Buy bread", "buy Éclairs", "Zebra crossing", "École du soir",
        "écrire une lettre", "ÉTÉ indien", "über alles", "Über den Berg",
        "ÜBUNG macht den Meister"]
    result = run(app, "copy", "--to", urls[destination])
    assert result.exit_code == 0, result.output
    store.close()
    copied = open_store(urls[destination])
    assert {user: searched(copied, user) for user in users} == before
    copied.close()


def test_a_copy_between_memory_and_sql_keeps_every_row(sqlite_url):
    memory = MemoryStore()
    user = memory.add_user("alice", "hash")["id"]
    for title in "abc":
        memory.add_task(user, title)
    memory.delete_task(user, 3)
    memory.update_task(user, 2, {"done": True})
    memory.add_token(user, "token-hash", 2000.0, 1000.0)
    memory.add_token(user, "expired", 1000.0, 999.0)
    rows = memory.export_rows(1500.0)
    assert len(rows["tokens"]) == 1
    sql = open_store(sqlite_url)
    assert transfer.copy(memory, sql, now=1500.0) == {"users": 1, "tasks": 2, "tokens": 1}
    back = MemoryStore()
    transfer.copy(sql, back, now=1500.0)
    assert back.export_rows(1500.0) == sql.export_rows(1500.0) == rows
    assert back.add_task(user, "d")["id"] == sql.add_task(user, "d")["id"] == 4
    sql.close()


@pytest.mark.parametrize("destination", ["sqlite", "postgresql"])
def test_a_copy_refuses_a_destination_holding_data(sqlite_url, tmp_path, request,
                                                   destination):
    url = request.getfixturevalue("postgres_url") if destination == "postgresql" \
        else f"sqlite:///{tmp_path / 'full.sqlite'}"
    app = make_app(sqlite_url)
    fill(app)
    full = open_store(url)
    full.add_user("zed", "hash")
    held = full.export_rows(0)
    result = run(app, "copy", "--to", url)
    assert result.exit_code == 1 and one_line(result)
    assert result.output == ("Error: the destination holds data already (users: 1, tasks: 0): "
                             "copy only into an empty store\n")
    assert full.export_rows(0) == held
    full.close()
    app.extensions["todo.store"].close()


@pytest.mark.parametrize("to, message", [
    ("memory://", "memory:// lives only in this process"),
    ("mysql://db", "unknown store URL 'mysql://db'"),
    ("sqlite:///:memory:", "sqlite:///:memory: cannot be shared"),
])
def test_a_copy_to_an_unusable_url_fails_in_one_line(sqlite_url, to, message):
    app = make_app(sqlite_url)
    result = run(app, "copy", "--to", to)
    assert result.exit_code == 1 and one_line(result)
    assert result.output.startswith(f"Error: {message}")
    app.extensions["todo.store"].close()


def test_a_copy_that_finds_other_counts_in_the_destination_fails(sqlite_url, tmp_path,
                                                                  monkeypatch):
    app = make_app(sqlite_url)
    fill(app)
    destination = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    from todo.store.sqlite import SQLiteStore
    counts = SQLiteStore.row_counts

    def one_task_short(store):
        found = counts(store)
        return {**found, "tasks": found["tasks"] - 1} if store.path.endswith("copy.sqlite") \
            else found
    monkeypatch.setattr(SQLiteStore, "row_counts", one_task_short)
    result = run(app, "copy", "--to", destination)
    assert result.exit_code == 1 and one_line(result)
    assert result.output.startswith("Error: the copy is incomplete: 2 users, 5 tasks, 1 token "
                                    "were copied, but the destination holds 2 users, 4 tasks")
    app.extensions["todo.store"].close()


def test_a_copy_hides_the_destinations_password(postgres_url, sqlite_url):
    app = make_app(sqlite_url)
    url = postgres_url.replace("todo@", "todo:s3cret@")   # trust authentication ignores it
    result = run(app, "copy", "--to", url)
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output and "todo:***@" in result.output
    app.extensions["todo.store"].close()


# -- check -------------------------------------------------------------------


def test_check_says_the_schema_integrity_and_counts(sqlite_url):
    app = make_app(sqlite_url)
    fill(app)
    result = run(app, "check")
    assert result.exit_code == 0, result.output
    version = app.extensions["todo.store"].schema_version
    assert result.output == f"Schema version {version}; integrity ok; " \
                            "2 users, 5 tasks, 1 token.\n"
    app.extensions["todo.store"].close()


def test_check_on_postgresql_has_no_integrity_check(postgres_url):
    app = make_app(postgres_url)
    result = run(app, "check")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("; no integrity check for this store; "
                                  "0 users, 0 tasks, 0 tokens.\n")
    app.extensions["todo.store"].close()


def test_check_fails_on_a_damaged_database(sqlite_url):
    app = make_app(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        # Foreign keys are off by default: a task without an owner gets in.
        conn.execute("INSERT INTO tasks (user_id, title) VALUES (42, 'orphan')")
    conn.close()
    result = run(app, "check")
    assert result.exit_code == 1 and one_line(result)
    assert "the integrity check fails: tasks row 1 refers to a missing users" in result.output
    app.extensions["todo.store"].close()
