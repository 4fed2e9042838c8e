"""How many statements a request sends to PostgreSQL: counted by the server, kept from creeping.

The database logs every statement it runs (``log_statement = all``, set on this
test's database only), so the count includes what no store code spells: the
pool's checks, BEGIN and COMMIT.
"""

import os
import re
import time

import pytest

from support import TASKS, basic, cheap_hash
from todo import create_app

pytestmark = pytest.mark.postgres

# One statement per store call: the user (Basic credentials are re-checked against
# the stored hash), then the task.  Before issue 14 all three sent 8: a pool check per
# store call, and BEGIN and COMMIT around each statement.
EXPECTED = {"GET one": 2, "POST": 2, "PUT": 2}
# What the server writes for each statement it runs, simple or extended protocol.
_STATEMENT = re.compile(r"LOG:  (statement|execute [^:]*): ")
# A statement psycopg prepared runs under its name; an unprepared one is
# "execute <unnamed>" (extended protocol) or "statement" (simple protocol).
_PREPARED = re.compile(r"LOG:  execute _pg3_\d+: ")


@pytest.fixture
def counted(postgres):
    """An app on a database whose every statement the server logs, and a statement counter."""
    url = postgres.create_database("round_trips")
    import psycopg
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute('ALTER DATABASE round_trips SET log_statement = "all"')
    app = create_app({"TESTING": True, "STORE": url})
    app.extensions["todo.store"].add_user("alice", cheap_hash("pw"))
    log_path = os.path.join(postgres.root, "server.log")

    def statements(request):
        """Return the statements the server ran while ``request()`` was answered."""
        start = os.path.getsize(log_path)
        request()
        # The server writes its log a moment after it answers.
        time.sleep(0.2)
        with open(log_path, encoding="utf-8", errors="replace") as log:
            log.seek(start)
            return [line for line in log if _STATEMENT.search(line)]
    yield app.test_client(), statements
    app.extensions["todo.store"].close()


def warmed_requests(client):
    """GET one, POST and PUT of alice's, after enough of each that psycopg prepared them."""
    alice = basic("alice", "pw")
    # Warm: the pool has its connections, and psycopg has prepared what repeats.
    for _ in range(6):
        uri = client.post(TASKS, json={"title": "warm"}, headers=alice).get_json()["task"]["uri"]
        client.get(uri, headers=alice)
        client.put(uri, json={"done": True}, headers=alice)
    return {
        "GET one": lambda: client.get(uri, headers=alice),
        "POST": lambda: client.post(TASKS, json={"title": "counted"}, headers=alice),
        "PUT": lambda: client.put(uri, json={"title": "changed"}, headers=alice),
    }


def test_each_request_sends_no_more_statements_than_store_calls(counted):
    client, statements = counted
    requests = warmed_requests(client)
    counts = {name: statements(request) for name, request in requests.items()}
    assert {name: len(sent) for name, sent in counts.items()} == EXPECTED, counts


def test_each_statement_runs_prepared(counted):
    """Prepared statements: the server parses and plans each SQL text once per connection."""
    client, statements = counted
    requests = warmed_requests(client)
    for name, request in requests.items():
        sent = statements(request)
        assert sent, name
        unprepared = [line for line in sent if not _PREPARED.search(line)]
        assert unprepared == [], name


def test_todo_pg_pool_size_bounds_each_process_pool(postgres, monkeypatch):
    monkeypatch.setenv("TODO_PG_POOL_SIZE", "3")
    app = create_app({"TESTING": True, "STORE": postgres.emptied_database("todo_tests")})
    store = app.extensions["todo.store"]
    try:
        store.count_users()   # the pool is made on first use
        assert store.pool_stats()["pool_max"] == 3
    finally:
        store.close()


@pytest.mark.parametrize("size", [0, "two", True])
def test_a_pool_size_below_one_stops_the_start(size):
    from todo.config import ConfigError
    with pytest.raises(ConfigError, match="TODO_PG_POOL_SIZE"):
        create_app({"TESTING": True, "STORE": "memory://", "PG_POOL_SIZE": size})
