"""gunicorn entry points for the benchmark: the project, its plain-Flask twin, the article's code.

The project and the twin read the store URL from TODO_STORE. With
BENCH_SEED_TASKS=N each worker seeds its own store (for memory://, which workers
do not share), or the article's list; SQL stores are seeded once by
benchmarks/run.py before the servers start.
"""

import os

from benchmarks.article import create_article_app
from benchmarks.baseline import PlaintextPasswords, create_baseline_app
from benchmarks.seed import seed, task_values
from todo import create_app


def project(plaintext=False):
    """The todo service with its default settings (the login throttle on), as
    `gunicorn 'benchmarks.wsgi:project()'` serves it.

    With ``plaintext`` its passwords are checked as the first article did, in
    plain text against a dict, instead of through scrypt hashes and the cache.
    """
    app = create_app()
    if plaintext:
        logins = app.extensions["todo.logins"]
        logins.cache = logins.hashing = PlaintextPasswords()
    _seed(app)
    return app


def baseline(plaintext=False):
    """The plain-Flask baseline over the same store."""
    app = create_baseline_app(os.environ["TODO_STORE"], plaintext=plaintext)
    _seed(app)
    return app


def article():
    """The first article's code over a list of the first BENCH_SEED_TASKS benchmark tasks."""
    tasks = [{"id": i, "title": title, "description": description, "done": done}
             for i, (title, description, done) in enumerate(task_values(_seed_tasks()), 1)]
    return create_article_app(tasks)


def _seed_tasks():
    return int(os.environ.get("BENCH_SEED_TASKS", "0"))


def _seed(app):
    tasks = _seed_tasks()
    if tasks:
        seed(app.extensions["todo.store"], tasks)
