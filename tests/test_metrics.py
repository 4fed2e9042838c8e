"""Prometheus metrics: off by default; by route template; store failures, logins, the pool."""

import glob
import os
import sqlite3
import threading
import time
import urllib.request
from urllib.parse import urlsplit

import pytest
from prometheus_client.parser import text_string_to_metric_families

from openapi_check import CheckedClient
from servers import Gunicorn
from support import PASSWORDS, ROOT, TASKS, basic, cheap_hash, on_stores
from todo import create_app
from todo.demo import PASSWORD, USERNAME
from todo.store import StoreUnavailable


@pytest.fixture
def metrics_app(store_url):
    """The app over a fresh store holding alice and bob, with metrics on."""
    app = create_app({"TESTING": True, "STORE": store_url, "METRICS": True,
                      "LOGIN_FAILURES": "3/minute"})
    app.test_client_class = CheckedClient
    for name, password in PASSWORDS.items():
        app.extensions["todo.store"].add_user(name, cheap_hash(password))
    yield app
    app.extensions["todo.store"].close()


def samples(text):
    """{(sample name, frozenset of labels): value} of a scrape."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return response.get_data(as_text=True)


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())), 0)


def test_metrics_are_off_by_default(client):
    assert client.get("/metrics").status_code == 404


def test_requests_are_counted_by_route_template_method_and_status(metrics_app):
    client = metrics_app.test_client()
    alice = basic("alice", PASSWORDS["alice"])
    paths = [urlsplit(client.post(TASKS, json={"title": f"t{i}"}, headers=alice)
                      .get_json()["task"]["uri"]).path for i in range(2)]
    for path in paths:
        client.get(path, headers=alice)
    client.get(f"{TASKS}/999", headers=alice)
    client.open("/livez", method="BREW")
    text = scrape(client)
    found = samples(text)
    route = TASKS + "/<id:id>"
    assert value(found, "todo_http_requests_total", route=route, method="GET", status="200") == 2
    assert value(found, "todo_http_requests_total", route=route, method="GET", status="404") == 1
    assert value(found, "todo_http_requests_total", route=TASKS, method="POST", status="201") == 2
    # A method no client should invent series with; no route matched a 405.
    assert value(found, "todo_http_requests_total", route="unmatched", method="other",
                 status="405") == 1
    assert value(found, "todo_http_request_duration_seconds_count", route=route,
                 method="GET") == 3
    assert value(found, "todo_http_request_duration_seconds_bucket", route=route, method="GET",
                 le="+Inf") == 3
    for path in paths:   # never the raw path with its ids
        assert path not in text


def test_failed_and_throttled_logins_are_counted(metrics_app):
    client = metrics_app.test_client()
    client.get(TASKS, headers=basic("alice", PASSWORDS["alice"]))
    for _ in range(3):
        assert client.get(TASKS, headers=basic("alice", "wrong")).status_code == 401
    assert client.get(TASKS, headers=basic("alice", "wrong")).status_code == 429
    assert client.get(TASKS, headers={"Authorization": "Bearer nope"}).status_code == 401
    found = samples(scrape(client))
    assert value(found, "todo_login_refusals_total", outcome="failed") == 4
    assert value(found, "todo_login_refusals_total", outcome="throttled") == 1


def test_store_failures_are_counted_by_kind(metrics_app, monkeypatch):
    store = metrics_app.extensions["todo.store"]
    client = metrics_app.test_client()
    alice = basic("alice", PASSWORDS["alice"])

    def unavailable(*args, **kwargs):
        raise StoreUnavailable("gone") from TimeoutError()
    monkeypatch.setattr(store, "find_tasks", unavailable)
    assert client.get(TASKS, headers=alice).status_code == 503
    def broken(*args, **kwargs):
        raise sqlite3.DatabaseError("malformed")
    monkeypatch.setattr(store, "find_tasks", broken)
    assert client.get(TASKS, headers=alice).status_code == 500
    found = samples(scrape(client))
    assert value(found, "todo_store_errors_total", kind="unavailable", error="TimeoutError") == 1
    assert value(found, "todo_store_errors_total", kind="unexpected", error="DatabaseError") == 1


@pytest.mark.postgres
@on_stores("postgresql")
def test_postgresql_pool_size_and_waits(metrics_app):
    client = metrics_app.test_client()
    alice = basic("alice", PASSWORDS["alice"])
    assert client.get(TASKS, headers=alice).status_code == 200
    found = samples(scrape(client))
    assert value(found, "todo_db_pool_connections") >= 1
    assert value(found, "todo_db_pool_max_connections") >= 1
    assert ("todo_db_pool_waits_total", frozenset()) in found
    assert ("todo_db_pool_wait_seconds_total", frozenset()) in found
    assert value(found, "todo_db_pool_waiting_requests") == 0


@pytest.mark.postgres
@on_stores("postgresql")
def test_a_request_waiting_for_a_connection_is_counted(store_url):
    """With one connection, held elsewhere, a request waits for it: one wait, and its time."""
    app = create_app({"TESTING": True, "STORE": store_url, "METRICS": True, "PG_POOL_SIZE": 1})
    store = app.extensions["todo.store"]
    store.add_user("alice", cheap_hash(PASSWORDS["alice"]))
    client = app.test_client()
    alice = basic("alice", PASSWORDS["alice"])
    try:
        assert client.get(TASKS, headers=alice).status_code == 200   # the pool is open
        before = samples(scrape(client))
        statuses = []
        with store._pool.connection():   # the only one
            waiting = threading.Thread(
                target=lambda: statuses.append(client.get(TASKS, headers=alice).status_code))
            waiting.start()
            deadline = time.monotonic() + 2   # under the 3 s a request waits before a 503
            while store.pool_stats().get("requests_waiting", 0) < 1:
                assert time.monotonic() < deadline, store.pool_stats()
                time.sleep(0.01)
            time.sleep(0.1)   # a wait that takes time
        waiting.join(timeout=10)
        assert statuses == [200]
        after = samples(scrape(client))
    finally:
        store.close()
    def went_up(name):
        return value(after, name) - value(before, name)
    assert went_up("todo_db_pool_waits_total") >= 1
    assert went_up("todo_db_pool_wait_seconds_total") >= 0.05   # it waited 0.1 s at least
    assert value(after, "todo_db_pool_max_connections") == 1
    assert value(after, "todo_db_pool_waiting_requests") == 0


def test_other_stores_have_no_pool_metrics(metrics_app):
    assert "todo_db_pool" not in scrape(metrics_app.test_client())


@pytest.mark.slow
@pytest.mark.real_password_hashes   # a worker busy with scrypt leaves the next login to the other
def test_under_gunicorn_one_scrape_sees_every_worker(tmp_path):
    """As the README sets it up: its gunicorn.conf.py, an empty folder, TODO_METRICS=1."""
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    conf = readme.split("<!-- metrics-multiprocess -->", 1)[1].split("```python\n", 1)[1]
    (tmp_path / "gunicorn.conf.py").write_text(conf.split("```", 1)[0])
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    server = Gunicorn("memory://", 2, str(tmp_path), env={
        "TODO_METRICS": "1", "TODO_DEMO": "1", "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "GUNICORN_CMD_ARGS": f"-c {tmp_path / 'gunicorn.conf.py'}"})
    try:
        def get(path, headers=None):
            request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}",
                                             headers={"Host": "localhost", **(headers or {})})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read().decode()

        # Each worker's first login hashes with scrypt: while one is busy hashing,
        # the other takes the next connection. A worker still starting takes none,
        # so bursts go on until both have served.
        demo = basic(USERNAME, PASSWORD)
        sent, pids, deadline = 0, set(), time.monotonic() + 60
        while len(pids) < 2:
            assert time.monotonic() < deadline, pids
            threads = [threading.Thread(target=get, args=(TASKS, demo)) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            sent += len(threads)
            pids = {os.path.basename(path).rsplit("_", 1)[1].split(".")[0]
                    for path in glob.glob(str(multiproc / "counter_*.db"))}
        # Whichever worker answers the scrape, it counts the requests of both.
        for _ in range(4):
            found = samples(get("/metrics"))
            assert value(found, "todo_http_requests_total", route=TASKS, method="GET",
                         status="200") == sent
    finally:
        server.stop()
