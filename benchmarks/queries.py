"""Each list query the README offers, timed in process at 100, 10,000 and 100,000 tasks.

    python -m benchmarks.queries                      # SQLite and PostgreSQL, every size
    python -m benchmarks.queries --stores sqlite --plans

Prints one markdown table per store: the median time of each query (find_tasks, a
page of 100, with its count) and the speed at each size over the speed at 100.
``--plans`` adds the database's plan of each query at the largest size.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

from benchmarks.seed import task_values
from todo.store import open_store
from todo.store.sql import TASK_COLUMNS, task_filter, task_order

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (100, 10_000, 100_000)
# A page of 50: at 100 tasks, done=false matches 50, so every query that matches
# anything fills its page at every size, and the sizes compare like work.
PAGE = 50
# The table, in its order: find_tasks arguments, and the target at 100,000.
QUERIES = {
    "done=false": ({"done": False}, 0.5),
    "sort=title": ({"sort": (("title", False),)}, 0.5),
    "sort=-done,title": ({"sort": (("done", True), ("title", False))}, 0.5),
    "startswith=buy": ({"startswith": "buy"}, 0.5),
    "q=python": ({"q": "python"}, 0.2),
    "the last page": ({"last_page": True}, 0.2),
}


def fill(kind, url, tasks):
    """Add one user and ``tasks`` benchmark tasks through the driver, in one transaction."""
    store = open_store(url)
    user_id = store.add_user("miguel", "hash")["id"]
    store.close()
    rows = [(user_id, title, description, done)
            for title, description, done in task_values(tasks)]
    if kind == "sqlite":
        import sqlite3
        conn = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
        conn.execute("BEGIN")
        # The store keeps each text's lowered key beside it (todo.store.sqlite), since
        # schema version 5; an earlier commit's schema (for the "before" table) has none.
        if "title_key" in {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}:
            conn.executemany("INSERT INTO tasks (user_id, title, description, done, title_key, "
                             "description_key) VALUES (?, ?, ?, ?, ?, ?)",
                             [(*row, row[1].lower(), row[2].lower()) for row in rows])
        else:
            conn.executemany("INSERT INTO tasks (user_id, title, description, done) "
                             "VALUES (?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.close()
    else:
        import psycopg
        with psycopg.connect(url) as conn:
            with conn.cursor() as cur:
                with cur.copy("COPY tasks (user_id, title, description, done) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
    return user_id


def arguments(query, tasks):
    """find_tasks' keyword arguments for a query over ``tasks`` tasks."""
    kwargs = dict(QUERIES[query][0])
    if kwargs.pop("last_page", False):
        kwargs["offset"] = (tasks - 1) // PAGE * PAGE
    return {"limit": PAGE, **kwargs}


def timed(store, user_id, kwargs, seconds=0.3):
    """The median seconds of one find_tasks call, over calls for about ``seconds``."""
    store.find_tasks(user_id, **kwargs)   # warm: statement caches, pages in memory
    times, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 5:
        start = time.perf_counter()
        store.find_tasks(user_id, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plans(kind, store, user_id, tasks):
    """The database's plan of each query's page and count, at ``tasks`` tasks.

    As find_tasks sends them: a page past the middle is read from the end, and
    only filters by text are counted (the other counts are kept by triggers).
    """
    out = []
    for query in QUERIES:
        kwargs = arguments(query, tasks)
        where, params = task_filter(store.dialect, user_id, kwargs.get("done"),
                                    kwargs.get("startswith"), kwargs.get("q"))
        p = store.dialect.param
        offset = kwargs.get("offset", 0)
        backwards = offset * 2 > tasks
        if backwards:
            offset = max(tasks - offset - PAGE, 0)
        page = (f"SELECT {TASK_COLUMNS} FROM tasks WHERE {where} ORDER BY "
                f"{task_order(store.dialect, kwargs.get('sort', (('id', False),)), backwards)} "
                f"LIMIT {p} OFFSET {p}")
        count = f"SELECT count(*) FROM tasks WHERE {where}"
        out.append(f"{query}:")
        for sql, args in ((page, (*params, PAGE, offset)), (count, params)):
            if sql.startswith("SELECT count") and not (kwargs.get("startswith") or kwargs.get("q")):
                continue
            if kind == "sqlite":
                rows = store._query(f"EXPLAIN QUERY PLAN {sql}", args)
                out += [f"    {row[3]}" for row in rows]
            else:
                rows = store._query(f"EXPLAIN {sql}", args)
                out += [f"    {row[0]}" for row in rows]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="todo-queries-")
    postgres = None
    try:
        for kind in args.stores.split(","):
            if kind == "postgresql":
                sys.path.insert(0, os.path.join(ROOT, "tests"))
                from postgres_server import PostgresServer
                postgres = PostgresServer()
            seconds = {}
            for tasks in SIZES:
                if kind == "sqlite":
                    url = f"sqlite:///{folder}/tasks{tasks}.sqlite"
                else:
                    url = postgres.create_database(f"tasks{tasks}")
                user_id = fill(kind, url, tasks)
                store = open_store(url)
                for query in QUERIES:
                    seconds[query, tasks] = timed(store, user_id, arguments(query, tasks))
                if args.plans and (tasks == SIZES[-1] or kind == "postgresql"):
                    print(f"\nPlans on {kind} at {tasks:,} tasks:\n")
                    print("\n".join(plans(kind, store, user_id, tasks)))
                store.close()
            print(f"\n{kind}: median ms per find_tasks (a page of {PAGE} and its count)\n")
            head = [f"{n:,} tasks" for n in SIZES] + [f"speed {SIZES[-1]:,} / {SIZES[0]}",
                                                       "target", ""]
            print("| query | " + " | ".join(head) + " |")
            print("|---" * (len(head) + 1) + "|")
            for query, (_, target) in QUERIES.items():
                times = [seconds[query, n] for n in SIZES]
                speed = times[0] / times[-1]
                print(f"| `{query}` | " + " | ".join(f"{t * 1000:.3f}" for t in times)
                      + f" | {speed:.2f}× | ≥ {target}× | {'met' if speed >= target else 'missed'} |")
            if postgres is not None:
                postgres.destroy()
                postgres = None
    finally:
        if postgres is not None:
            postgres.destroy()
        import shutil
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
