"""Fixtures: the app over a store (SQLite unless a test asks for others), its client, users,
credentials, and the store contract's empty store of every backend."""

import glob
import itertools
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest

from openapi_check import CheckedClient
from postgres_server import PostgresServer, why_unavailable
from redis_server import RedisServer, why_unavailable as why_no_redis
from servers import free_port, stop, wait_for_port
from support import CHEAP_HASH_METHOD, EVERY_STORE, PASSWORDS, ROOT, basic, cheap_hash, require
from todo import create_app
from todo.store import open_store


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the whole run (skipped where none can start).

    Tests share one database on it, emptied before each (``emptied_database``); only
    those that need a database of their own (old schemas, outages) create one.
    """
    require("PostgreSQL", why_unavailable())
    server = PostgresServer()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def redis_server():
    """A throwaway Redis server for the whole run (skipped where none can start)."""
    require("Redis", why_no_redis())
    server = RedisServer()
    yield server
    server.destroy()


@pytest.fixture
def redis_url(redis_server):
    """The URL of the Redis server, emptied for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(scope="session")
def sqlite_dir(tmp_path_factory):
    """A folder for the tests' SQLite files, in memory (/dev/shm) where the machine has one.

    Syncing a thousand small databases to a disk costs more than the tests that use them.
    """
    if not os.access("/dev/shm", os.W_OK):
        yield tmp_path_factory.mktemp("sqlite")
        return
    path = tempfile.mkdtemp(prefix="todo-tests-", dir="/dev/shm")
    yield pathlib.Path(path)
    shutil.rmtree(path)


@pytest.fixture(scope="session")
def empty_sqlite(sqlite_dir):
    """A SQLite file with the schema made and no rows, for tests to copy."""
    path = sqlite_dir / "empty.sqlite"
    open_store(f"sqlite:///{path}").close()
    return path


_sqlite_files = itertools.count()


def remove_sqlite(path):
    """Remove a SQLite database with its -wal and -shm files."""
    for name in glob.glob(f"{path}*"):
        os.remove(name)


def new_store_url(backend, request):
    """Return the URL of an empty store of a backend: memory, sqlite or postgresql."""
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        # A copy costs less than migrating a new file, by a few syncs per test.
        empty = request.getfixturevalue("empty_sqlite")
        path = empty.with_name(f"test-{next(_sqlite_files)}.sqlite")
        shutil.copyfile(empty, path)
        request.addfinalizer(lambda: remove_sqlite(path))
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres").emptied_database("todo_tests")


@pytest.fixture
def store_url(request):
    """The URL of an empty store: SQLite, or each backend of ``on_stores(...)`` in turn."""
    return new_store_url(getattr(request, "param", "sqlite"), request)


@pytest.fixture(params=EVERY_STORE)
def any_store(request):
    """An empty store of each backend in turn: the store contract holds for all of them."""
    store = open_store(new_store_url(request.param, request))
    yield store
    store.close()


@pytest.fixture(autouse=True)
def cheap_password_hashes(request, monkeypatch):
    """Every app and server a test starts hashes new passwords cheaply.

    Registrations, ``users add`` and the unknown-user check would otherwise cost a
    real scrypt hash each: a fifth of the fast loop.  A test marked
    ``real_password_hashes`` gets the default, scrypt.
    """
    if request.node.get_closest_marker("real_password_hashes") is None:
        monkeypatch.setenv("TODO_PASSWORD_HASH", CHEAP_HASH_METHOD)


@pytest.fixture
def app(store_url):
    """The app over a fresh store holding the users alice and bob and no tasks."""
    app = create_app({"TESTING": True, "STORE": store_url})
    # Every response a test sees must be what the OpenAPI document promises.
    app.test_client_class = CheckedClient
    store = app.extensions["todo.store"]
    for name, password in PASSWORDS.items():
        store.add_user(name, cheap_hash(password))
    yield app
    store.close()


@pytest.fixture
def memory_app():
    """The app over an empty memory store: for what does not depend on the store."""
    return create_app({"TESTING": True, "STORE": "memory://"})


@pytest.fixture
def store(app):
    """The app's store, for arranging and checking data behind the API's back."""
    return app.extensions["todo.store"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def alice():
    """Headers with alice's credentials."""
    return basic("alice", PASSWORDS["alice"])


@pytest.fixture
def bob():
    """Headers with bob's credentials."""
    return basic("bob", PASSWORDS["bob"])


@pytest.fixture
def user_id(store):
    """Return the id of a user by name."""
    return lambda name: store.get_user(name)["id"]


def start_run_py(directory, started, *args, env=None):
    """Start ``python run.py`` in ``directory``; note it in ``started``; return
    (process, port, output file)."""
    port = free_port()
    log = open(directory / f"server-{port}.log", "w+")
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "run.py"), "--host", "127.0.0.1",
         "--port", str(port), *args],
        cwd=directory, stdout=log, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    started.append((process, log))
    wait_for_port(port, process)
    return process, port, log


def stop_all(started):
    for process, log in started:
        stop(process)
        log.close()


@pytest.fixture
def run_server(tmp_path):
    """Start ``python run.py`` with extra arguments; return (process, port, output file)."""
    started = []
    yield lambda *args, env=None: start_run_py(tmp_path, started, *args, env=env)
    stop_all(started)


@pytest.fixture(scope="module")
def module_server(tmp_path_factory):
    """One ``python run.py`` for a test module: the demo account, open registration,
    cheap hashes, a fresh SQLite file; returns its port."""
    directory = tmp_path_factory.mktemp("server")
    started = []
    _, port, _ = start_run_py(directory, started, "--store",
                              f"sqlite:///{directory / 'todo.sqlite'}",
                              env={"TODO_REGISTRATION": "open", "TODO_REGISTRATIONS": "",
                                   "TODO_PASSWORD_HASH": CHEAP_HASH_METHOD,
                                   "TODO_TRUSTED_HOSTS": "127.0.0.1"})
    yield port
    stop_all(started)


@pytest.fixture
def hash_checks(monkeypatch):
    """Count the password hash checks todo.credentials makes: ``hash_checks.calls``."""
    import todo.credentials as credentials
    real = credentials.check_password_hash

    class Counter:
        calls = 0

    def counting(pwhash, password):
        Counter.calls += 1
        return real(pwhash, password)
    monkeypatch.setattr(credentials, "check_password_hash", counting)
    return Counter


def pytest_collection_modifyitems(items):
    """Count the browser tests as slow, so that ``pytest -m "not slow"`` leaves them out."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
