"""Health checks: /livez says the process is up, /readyz whether the store can serve."""

import time

import pytest

from openapi_check import CheckedClient
from postgres_server import PostgresServer
from support import EVERY_STORE, on_stores
from todo import create_app
from todo.clock import ManualClock
from todo.health import schema_target
from todo.store import StoreUnavailable
from todo.store.memory import MemoryStore
from todo.store.sqlite import SQLiteStore


@pytest.fixture
def clock():
    return ManualClock(1_000_000.0)


@pytest.fixture
def sqlite_app(tmp_path, clock):
    """An app over a SQLite file, on a clock the test moves."""
    app = create_app({"TESTING": True, "STORE": f"sqlite:///{tmp_path}/todo.sqlite"}, clock=clock)
    app.test_client_class = CheckedClient
    yield app
    app.extensions["todo.store"].close()


@pytest.fixture
def version_reads(monkeypatch):
    """Count the reads of SQLiteStore.schema_version, and let a test choose its answer."""
    real = SQLiteStore.schema_version

    class Reads:
        count = 0
        answer = None   # None: the database's own
        error = None

    def counted(store):
        Reads.count += 1
        if Reads.error is not None:
            raise Reads.error
        return real.fget(store) if Reads.answer is None else Reads.answer
    monkeypatch.setattr(SQLiteStore, "schema_version", property(counted))
    return Reads


def test_livez_is_ok_without_asking_the_store(client, store, monkeypatch):
    monkeypatch.setattr(type(store), "schema_version", property(lambda s: 1 / 0), raising=False)
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


@on_stores(*EVERY_STORE)
def test_readyz_is_ok_on_every_store(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_sql_stores_have_a_schema_target_and_the_memory_store_none(store):
    assert schema_target(store) == store.schema_version >= 1   # the default store: SQLite
    assert schema_target(MemoryStore()) is None   # in the process: always ready


@pytest.mark.parametrize("path", ["/livez", "/readyz"])
def test_health_needs_no_credentials_and_is_never_throttled(client, path):
    # Wrong credentials are not even looked at; nothing counts against the address.
    for _ in range(60):
        response = client.get(path, headers={"Authorization": "Basic d3Jvbmc6d3Jvbmc="})
        assert response.status_code == 200


def test_readyz_asks_the_store_at_most_once_a_second(sqlite_app, clock, version_reads):
    client = sqlite_app.test_client()
    for _ in range(20):
        assert client.get("/readyz").status_code == 200
    assert version_reads.count == 1
    clock.advance(0.9)
    assert client.get("/readyz").status_code == 200
    assert version_reads.count == 1
    clock.advance(0.2)
    assert client.get("/readyz").status_code == 200
    assert version_reads.count == 2
    clock.advance(-3600)   # a wall clock set back: the old answer is not kept for an hour
    assert client.get("/readyz").status_code == 200
    assert version_reads.count == 3


def test_readyz_is_503_when_the_schema_is_not_this_servers(sqlite_app, clock, version_reads,
                                                            tmp_path):
    target = schema_target(sqlite_app.extensions["todo.store"])
    version_reads.answer = target + 1   # a newer release migrated the shared database
    response = sqlite_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "error": "Service unavailable",
        "message": f"The database schema is version {target + 1}; this server needs {target}."}
    assert response.headers["Retry-After"] == "1"
    assert str(tmp_path) not in response.get_data(as_text=True)


def test_readyz_is_503_while_the_store_is_unavailable_and_200_after(sqlite_app, clock,
                                                                     version_reads, caplog):
    client = sqlite_app.test_client()
    assert client.get("/readyz").status_code == 200
    version_reads.error = StoreUnavailable("disk I/O error at /secret/path",
                                           reason="The database file cannot be read or written.")
    clock.advance(1)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["message"] == "The database file cannot be read or written."
    assert "/secret/path" not in response.get_data(as_text=True)
    assert "readiness: The database file cannot be read or written." in caplog.text
    version_reads.error = None
    clock.advance(1)
    assert client.get("/readyz").status_code == 200
    assert "readiness: ready again" in caplog.text


def test_a_bug_in_the_check_is_a_503_that_tells_nothing_and_is_logged(sqlite_app, clock,
                                                                      version_reads, caplog):
    version_reads.error = RuntimeError("no such table: secret_table")
    response = sqlite_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "secret_table" not in response.get_data(as_text=True)
    assert "Traceback" in caplog.text and "secret_table" in caplog.text


@pytest.fixture
def own_server(postgres):
    """A PostgreSQL server of this test's own, free to be stopped and started."""
    server = PostgresServer()
    yield server
    server.destroy()


@pytest.mark.slow
@pytest.mark.postgres
def test_readyz_during_a_postgresql_outage_and_after_recovery(own_server, clock):
    url = own_server.create_database("readyz")
    app = create_app({"TESTING": True, "STORE": url}, clock=clock)
    app.test_client_class = CheckedClient
    client = app.test_client()
    assert client.get("/readyz").status_code == 200

    own_server.stop()
    clock.advance(1)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["message"] == "The database is not reachable; try again shortly."
    body = response.get_data(as_text=True)
    assert url not in body and "127.0.0.1" not in body
    assert client.get("/livez").status_code == 200   # up, but not ready

    own_server.start()
    deadline = time.monotonic() + 30
    while True:
        clock.advance(1)
        if (response := client.get("/readyz")).status_code == 200:
            break
        assert time.monotonic() < deadline, response.get_json()
        time.sleep(0.2)
    assert response.get_json() == {"status": "ok"}
    app.extensions["todo.store"].close()
