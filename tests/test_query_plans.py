"""The list queries use their indexes: each one's plan, on SQLite and PostgreSQL.

The answers are tested over every store (test_store_queries.py), but an answer does not
tell whether an index found it: a list that scans and sorts every task answers the same,
only slower as it grows. These tests read the plan of the SQL find_tasks sends.
"""

import glob
import os
import re

import pytest

from todo.store import open_store
from todo.store.sql import TASK_COLUMNS, task_filter, task_order

PAGE = 50
# The list queries (benchmarks/queries.py times them), as find_tasks arguments.
QUERIES = {
    "done=false": {"done": False},
    "sort=title": {"sort": (("title", False),)},
    "sort=-done,title": {"sort": (("done", True), ("title", False))},
    "startswith=buy": {"startswith": "buy"},
    "q=python": {"q": "python"},
}
# The queries whose order an index gives: nothing is sorted. A startswith= or q= page
# is in id order, which its index does not keep: only its matches are sorted.
ORDERED_BY_THEIR_INDEX = ("done=false", "sort=title", "sort=-done,title")
WORDS = ("Walk the dog", "Call mum", "Water the plants", "Pay the rent", "Read a book",
         "Fix the bike", "Clean up", "Write notes", "Plan a trip", "Cook dinner")


def fill(store):
    """Give one user 3,000 tasks and another 300; return the first one's id.

    Enough, with statistics, for PostgreSQL to prefer each index to the user's other
    paths: a twentieth of the titles start with "Buy", a fiftieth hold "python".
    """
    owner = store.add_user("owner", "hash")["id"]
    other = store.add_user("other", "hash")["id"]
    for user, tasks in ((owner, 3000), (other, 300)):
        for i in range(tasks):
            if i % 20 == 0:
                title = f"Buy item {i}"
            elif i % 100 == 7:
                title = f"Learn Python {i}"
            else:
                title = f"{WORDS[i % len(WORDS)]} {i}"
            description = "the Python docs" if i % 100 == 42 else f"note {i}"
            store.add_task(user, title, description, done=i % 5 != 0)
    return owner


def statements(store, user_id, query):
    """The SQL and parameters find_tasks sends for the query's first page, as it builds them.

    The page, then the count where one is run: only filters by text are counted
    (the other counts are kept by triggers).
    """
    kwargs = QUERIES[query]
    where, params = task_filter(store.dialect, user_id, kwargs.get("done"),
                                kwargs.get("startswith"), kwargs.get("q"))
    p = store.dialect.param
    order = task_order(store.dialect, kwargs.get("sort", (("id", False),)))
    sent = [(f"SELECT {TASK_COLUMNS} FROM tasks WHERE {where} ORDER BY {order} "
             f"LIMIT {p} OFFSET {p}", (*params, PAGE, 0))]
    if kwargs.get("startswith") or kwargs.get("q"):
        sent.append((f"SELECT count(*) FROM tasks WHERE {where}", tuple(params)))
    return sent


# -- SQLite ------------------------------------------------------------------


@pytest.fixture(scope="module", params=["as written", "analyzed"])
def sqlite_tasks(request, sqlite_dir):
    """(store, owner) of a SQLite file holding fill()'s tasks, with or without statistics.

    The store never runs ANALYZE itself; the benchmarks do: the plans hold either way.
    """
    path = sqlite_dir / f"query-plans-{request.param.replace(' ', '-')}.sqlite"
    store = open_store(f"sqlite:///{path}")
    owner = fill(store)
    if request.param == "analyzed":
        store._query("ANALYZE")
    yield store, owner
    store.close()
    for name in glob.glob(f"{path}*"):
        os.remove(name)


def sqlite_plan(store, sql, params):
    """The details of SQLite's EXPLAIN QUERY PLAN of a statement, one string per step."""
    return [row[3] for row in store._query(f"EXPLAIN QUERY PLAN {sql}", params)]


# "SEARCH tasks" since SQLite 3.36, "SEARCH TABLE tasks" before; each statement's plan
# holds a step matching each of its query's patterns.
SQLITE_STEPS = {
    "done=false": [r"SEARCH (TABLE )?tasks USING INDEX tasks_by_done \(user_id=\? AND done=\?\)"],
    "sort=title": [r"SEARCH (TABLE )?tasks USING INDEX tasks_by_title \(user_id=\?\)"],
    "sort=-done,title": [r"SEARCH (TABLE )?tasks USING INDEX tasks_by_done_title "
                         r"\(user_id=\?\)"],
    # The range of the title key, which the prefix's bounds give.
    "startswith=buy": [r"SEARCH (TABLE )?tasks USING (COVERING )?INDEX tasks_by_title "
                       r"\(user_id=\? AND title_key>\? AND title_key<\?\)"],
    # The FTS5 table found the ids (a MATCH), and each task is looked up by its id.
    "q=python": [r"SCAN (TABLE )?tasks_text VIRTUAL TABLE INDEX \d+:M\w*",
                 r"SEARCH (TABLE )?tasks USING .*\browid=\?\)"],
}


@pytest.mark.parametrize("query", QUERIES)
def test_each_sqlite_list_query_uses_its_index(sqlite_tasks, query):
    store, owner = sqlite_tasks
    for sql, params in statements(store, owner, query):
        plan = sqlite_plan(store, sql, params)
        for step in SQLITE_STEPS[query]:
            assert any(re.fullmatch(step, detail) for detail in plan), (step, plan)
        # Never every task read: no SCAN of the table itself, through an index or not.
        assert not any(re.match(r"SCAN (TABLE )?tasks( |$)", detail) for detail in plan), plan
        if query in ORDERED_BY_THEIR_INDEX:
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


# -- PostgreSQL --------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_tasks(postgres):
    """(store, owner, URL) of a PostgreSQL database holding fill()'s tasks, vacuumed and analyzed.

    As autovacuum would leave it: statistics, and the trigram indexes' pending
    entries merged, which the planner would otherwise count against them.
    """
    import psycopg
    url = postgres.create_database("query_plans")
    store = open_store(url)
    owner = fill(store)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    yield store, owner, url
    store.close()


def postgres_plan(conn, sql, params):
    """PostgreSQL's EXPLAIN of a statement, as one text."""
    return "\n".join(row[0] for row in conn.execute(f"EXPLAIN {sql}", params))


def index_scan(index):
    """A pattern of a plan node reading ``index``: an index, index-only or bitmap index scan."""
    return rf"Index (Only )?Scan (Backward )?(using|on) {index}\b"


POSTGRES_INDEXES = {
    "done=false": ["tasks_by_done"],
    "sort=title": ["tasks_by_title"],
    "sort=-done,title": ["tasks_by_done_title"],
    "startswith=buy": ["tasks_by_title"],
    # lower(title) LIKE … OR lower(description) LIKE …: a bitmap of each trigram index.
    "q=python": ["tasks_title_trigrams", "tasks_description_trigrams"],
}


@pytest.mark.postgres
@pytest.mark.parametrize("query", QUERIES)
def test_each_postgresql_list_query_uses_its_index(postgres_tasks, query):
    import psycopg
    store, owner, url = postgres_tasks
    with psycopg.connect(url, autocommit=True) as conn:
        # Reading the table whole made dearer than any index (in this session only):
        # the plan says which index is cheapest, whatever the table's size.
        conn.execute("SET enable_seqscan = off")
        for sql, params in statements(store, owner, query):
            plan = postgres_plan(conn, sql, params)
            for index in POSTGRES_INDEXES[query]:
                assert re.search(index_scan(index), plan), (index, plan)
            assert "Seq Scan" not in plan, plan
            if query in ORDERED_BY_THEIR_INDEX:
                assert "Sort Key" not in plan, plan
