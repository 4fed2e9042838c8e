"""Several gunicorn servers on one database: nothing lost under load, crashes or races.

Bounded in count and time, on 127.0.0.1 only; every server is stopped by its PID.
"""

import base64
import http.client
import json
import os
import sqlite3
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from support import SHARED_STORES, TASKS, cheap_hash, on_stores
from servers import GUNICORN, Gunicorn
from todo.store import open_store

CREDENTIALS = "Basic " + base64.b64encode(b"alice:alice-secret").decode()


def request(port, method, path, body=None, timeout=30, headers=None):
    """Send one request to 127.0.0.1:port; return (status, headers, decoded JSON or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": CREDENTIALS, **(headers or {})}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data) if data else None
    finally:
        conn.close()


def task_id(uri):
    return int(uri.rsplit("/", 1)[1])


def listed_ids(port):
    """Return the ids of every task alice has, following rel="next" links if paginated."""
    ids, path = [], TASKS
    while path:
        status, headers, body = request(port, "GET", path)
        assert status == 200
        ids += [task_id(t["uri"]) for t in body["tasks"]]
        following = re.search(r'<https?://[^/>]+([^>]*)>; rel="next"', headers.get("Link", ""))
        path = following and following.group(1)
    return ids


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(store_url, workers):
        server = Gunicorn(store_url, workers, tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.stop()
        else:
            server.log.close()


@pytest.fixture
def shared_store(store_url):
    """A store URL of a database with alice in it, its backend, and the layout of servers."""
    if store_url.startswith("sqlite:"):
        backend, layout = "sqlite", (4,)             # one gunicorn, 4 workers
    else:
        backend, layout = "postgresql", (2, 2)       # two gunicorns, 2 workers each
    store = open_store(store_url)
    store.add_user("alice", cheap_hash("alice-secret"))
    store.close()
    return backend, store_url, layout


pytestmark = [
    on_stores(*SHARED_STORES),
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(GUNICORN),
                       reason="gunicorn is not installed (pip install -e '.[test]')"),
]


def test_2000_concurrent_posts_get_2000_distinct_ids(servers, shared_store):
    backend, url, layout = shared_store
    ports = [servers(url, workers).port for workers in layout]

    def post(i):
        return request(ports[i % len(ports)], "POST", TASKS, {"title": f"task {i}"})

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(post, range(2000), timeout=300))

    assert [status for status, _, _ in results] == [201] * 2000
    ids = {task_id(headers["Location"]) for _, headers, _ in results}
    assert len(ids) == 2000
    for port in ports:
        assert sorted(listed_ids(port)) == sorted(ids)


def test_a_crash_loses_no_acknowledged_write(servers, shared_store):
    backend, url, layout = shared_store
    server = servers(url, 2)
    acknowledged, stop_writing = [], False

    def write(i):
        if stop_writing:
            return
        try:
            status, headers, _ = request(server.port, "POST", TASKS, {"title": f"t{i}"}, timeout=5)
        except (OSError, http.client.HTTPException):
            return   # the server died under this request: not acknowledged
        if status == 201:
            acknowledged.append(task_id(headers["Location"]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(write, i) for i in range(3000)]
        deadline = time.monotonic() + 60
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill_hard()   # in the middle of the writes
        stop_writing = True
        for future in futures:
            future.result(timeout=60)

    assert 300 <= len(acknowledged) < 3000
    restarted = servers(url, 2)
    assert set(acknowledged) <= set(listed_ids(restarted.port))
    if backend == "sqlite":
        path = url[len("sqlite:///"):]
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_concurrent_partial_updates_through_two_servers_lose_nothing(servers, shared_store):
    backend, url, layout = shared_store
    first, second = servers(url, 2), servers(url, 2)
    status, headers, _ = request(first.port, "POST", TASKS, {"title": "shared"})
    uri = headers["Location"].split(f":{first.port}", 1)[1]

    def change(i):
        # One client renames the task through one server while another edits its
        # description through the other: neither change may undo the other.
        if i % 2:
            return request(first.port, "PUT", uri, {"title": f"title {i}"})
        return request(second.port, "PUT", uri, {"description": f"description {i}"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(change, range(200), timeout=300))

    assert [status for status, _, _ in results] == [200] * 200
    for i, (_, _, body) in enumerate(results):
        # Each answer shows its own change.
        field, value = ("title", f"title {i}") if i % 2 else ("description", f"description {i}")
        assert body["task"][field] == value
    store = open_store(url)
    try:
        task = store.get_task(store.get_user("alice")["id"], task_id(uri))
    finally:
        store.close()
    assert task["version"] == 1 + 200          # every update counted, none lost
    assert task["title"].startswith("title ") and task["description"].startswith("description ")


def test_sequential_writes_through_two_servers_read_back_the_last(servers, shared_store):
    backend, url, layout = shared_store
    first, second = servers(url, 2), servers(url, 2)
    _, headers, _ = request(first.port, "POST", TASKS, {"title": "t"})
    uri = headers["Location"].split(f":{first.port}", 1)[1]
    for i in range(20):
        port = (first, second)[i % 2].port
        status, _, body = request(port, "PUT", uri, {"title": f"v{i}", "done": i % 3 == 0})
        assert status == 200 and body["task"]["title"] == f"v{i}"
        for server in (first, second):
            assert request(server.port, "GET", uri)[2]["task"]["title"] == f"v{i}"


def test_if_match_lets_exactly_one_of_two_racing_writers_win(servers, shared_store):
    backend, url, layout = shared_store
    first, second = servers(url, 2), servers(url, 2)
    _, headers, _ = request(first.port, "POST", TASKS, {"title": "contested"})
    uri = headers["Location"].split(f":{first.port}", 1)[1]

    def write(server, title, etag):
        return request(server.port, "PUT", uri, {"title": title}, headers={"If-Match": etag})

    with ThreadPoolExecutor(max_workers=2) as pool:
        for round in range(30):
            _, headers, _ = request(first.port, "GET", uri)   # both clients read this version
            etag = headers["ETag"]
            racing = [pool.submit(write, first, f"first {round}", etag),
                      pool.submit(write, second, f"second {round}", etag)]
            outcomes = sorted(((f.result(timeout=60)[0], f.result()[2]) for f in racing),
                              key=lambda outcome: outcome[0])
            assert [status for status, _ in outcomes] == [200, 412]
            winner = outcomes[0][1]["task"]["title"]
            # The loser was told, and the winner's write stands: nothing silently overwritten.
            assert request(second.port, "GET", uri)[2]["task"]["title"] == winner
