"""The benchmark's user, its bearer token and its tasks, for a store or the article's list."""

import time

from todo.credentials import token_hash
from todo.credentials import hash_password

USERNAME, PASSWORD = "miguel", "python"
# A fixed token, so that every worker's memory store knows the same one.
TOKEN = "benchmark-token-0123456789abcdefghijklmnopqrstuvwxyz"
DAY = 24 * 3600


def seed(store, tasks):
    """Add miguel (scrypt hash), his token and ``tasks`` tasks to an empty store; return his id."""
    user = store.add_user(USERNAME, hash_password(PASSWORD))
    now = time.time()
    store.add_token(user["id"], token_hash(TOKEN), now + DAY, now)
    for title, description, done in task_values(tasks):
        store.add_task(user["id"], title, description, done)
    return user["id"]


def task_values(tasks):
    """The title, description and done of each of the first ``tasks`` benchmark tasks."""
    for i in range(tasks):
        yield f"Task number {i}", "Something to do, some day", i % 2 == 0
