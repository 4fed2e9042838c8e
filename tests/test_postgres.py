"""What only the PostgreSQL store has to show: outages, start-up errors, migrations."""

import contextlib
import os
import subprocess
import sys
import threading
import time

import pytest

from servers import free_port
from support import ROOT, TASKS, basic, cheap_hash
from postgres_server import PostgresServer
from todo import create_app
from todo.store import StoreConfigError, open_store


@pytest.fixture
def own_server(postgres):
    """A PostgreSQL server of this test's own, free to be stopped and started."""
    server = PostgresServer()
    yield server
    server.destroy()


def test_an_unreachable_database_stops_the_start_in_one_line():
    url = f"postgresql://todo@127.0.0.1:{free_port()}/todo"
    with pytest.raises(StoreConfigError) as excinfo:
        open_store(url)
    message = str(excinfo.value)
    assert message.startswith("cannot use PostgreSQL at 127.0.0.1:")
    assert "\n" not in message


def test_a_missing_database_is_named(postgres):
    with pytest.raises(StoreConfigError, match="no_such_db"):
        open_store(postgres.url("no_such_db"))


@pytest.mark.slow
def test_run_py_refuses_an_unreachable_database(tmp_path):
    url = f"postgresql://todo:secret-pw@127.0.0.1:{free_port()}/todo"
    result = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "--port",
                             str(free_port()), "--store", url], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "secret-pw" not in result.stderr


@pytest.mark.slow
def test_an_outage_is_503_and_service_resumes_without_a_restart(own_server):
    app = create_app({"STORE": own_server.create_database("outage")})
    store = app.extensions["todo.store"]
    store.add_user("alice", cheap_hash("pw"))
    client = app.test_client()
    alice = basic("alice", "pw")
    assert client.post(TASKS, json={"title": "before"}, headers=alice).status_code == 201

    own_server.stop()
    for _ in range(2):
        response = client.get(TASKS, headers=alice)
        assert response.status_code == 503
        assert response.get_json()["error"] == "Service unavailable"
        assert "not reachable" in response.get_json()["message"]
        assert response.headers["Retry-After"]

    own_server.start()
    deadline = time.monotonic() + 30
    while (response := client.get(TASKS, headers=alice)).status_code != 200:
        assert time.monotonic() < deadline, response.get_json()
        time.sleep(0.2)
    assert [t["title"] for t in response.get_json()["tasks"]] == ["before"]
    assert client.post(TASKS, json={"title": "after"}, headers=alice).status_code == 201
    store.close()


@pytest.mark.slow
def test_after_a_restart_one_request_fails_and_the_pool_replaces_the_rest(own_server):
    """No check on checkout: a connection broken by a restart fails the request that uses it.

    That failure has the pool check its idle connections (PostgresStore._failed), so
    the others, broken by the same restart, are replaced before any request uses them.
    """
    size = 3
    app = create_app({"STORE": own_server.create_database("restart"), "PG_POOL_SIZE": size})
    store = app.extensions["todo.store"]
    store.add_user("alice", cheap_hash("pw"))
    client = app.test_client()
    alice = basic("alice", "pw")
    uri = client.post(TASKS, json={"title": "kept"}, headers=alice).get_json()["task"]["uri"]
    try:
        # Every connection of the pool open and idle, as after a busy moment.
        with contextlib.ExitStack() as held:
            for _ in range(size):
                held.enter_context(store._pool.connection(timeout=10))
        assert store.pool_stats()["pool_available"] == size

        own_server.stop()   # clients are told, but an idle connection only learns on its next use
        own_server.start()
        responses = [client.get(uri, headers=alice) for _ in range(2 * size)]
        statuses = [response.status_code for response in responses]
        # At most the first fails (503), on the connection it had; never one per connection.
        assert statuses in ([200] * len(statuses), [503] + [200] * (len(statuses) - 1)), statuses
        if statuses[0] == 503:
            assert "not reachable" in responses[0].get_json()["message"]
    finally:
        store.close()


def test_the_schema_version_is_recorded(postgres):
    from todo.store.postgres import SCHEMA_VERSION
    store = open_store(postgres.create_database("versioned"))
    try:
        assert store.schema_version == SCHEMA_VERSION >= 1
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_later_release_migrates_an_existing_database_in_place(backend, postgres, tmp_path,
                                                               monkeypatch):
    if backend == "sqlite":
        from todo.store import sqlite as module
        url = f"sqlite:///{tmp_path}/old.sqlite"
    else:
        from todo.store import postgres as module
        url = postgres.create_database("migrated")
    old = open_store(url)
    owner = old.add_user("owner", "h")["id"]
    task = old.add_task(owner, "kept")
    old.close()

    # The next release adds a column: one more entry in MIGRATIONS.
    migration = "ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 0"
    monkeypatch.setattr(module, "MIGRATIONS", module.MIGRATIONS + (migration,))
    monkeypatch.setattr(module, "SCHEMA_VERSION", len(module.MIGRATIONS))
    new = open_store(url)
    try:
        assert new.schema_version == module.SCHEMA_VERSION
        assert new.get_task(owner, task["id"]) == task
    finally:
        new.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_from_a_newer_release_is_refused(backend, postgres, tmp_path, monkeypatch):
    if backend == "sqlite":
        from todo.store import sqlite as module
        url = f"sqlite:///{tmp_path}/new.sqlite"
    else:
        from todo.store import postgres as module
        url = postgres.create_database("newer")
    open_store(url).close()
    monkeypatch.setattr(module, "SCHEMA_VERSION", module.SCHEMA_VERSION - 1)
    with pytest.raises(StoreConfigError, match="newer than this program"):
        open_store(url)


def test_servers_starting_at_once_create_the_schema_once(postgres):
    url = postgres.create_database("racing")
    stores, errors = [], []

    def start():
        try:
            stores.append(open_store(url))
        except Exception as exc:   # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    stores[0].add_user("u", "h")
    assert all(store.count_users() == 1 for store in stores)
    for store in stores:
        store.close()
