"""Fixtures: an app over every store backend, its client, users and credentials."""

import itertools
import os
import subprocess
import sys

import pytest

from openapi_check import CheckedClient
from postgres_server import PostgresServer, why_unavailable
from redis_server import RedisServer, why_unavailable as why_no_redis
from servers import free_port, stop, wait_for_port
from support import PASSWORDS, ROOT, basic, cheap_hash, require
from todo import create_app

_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the whole run (skipped where none can start)."""
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


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A URL for a fresh, empty store of each backend."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/todo.sqlite"
    return request.getfixturevalue("postgres").create_database(f"test_{next(_databases)}")


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


@pytest.fixture
def run_server(tmp_path):
    """Start ``python run.py`` with extra arguments; return (process, port, output file)."""
    started = []

    def start(*args, env=None):
        port = free_port()
        log = open(tmp_path / f"server-{port}.log", "w+")
        process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "run.py"), "--host", "127.0.0.1",
             "--port", str(port), *args],
            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        started.append((process, log))
        wait_for_port(port, process)
        return process, port, log

    yield start
    for process, log in started:
        stop(process)
        log.close()


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
