"""Fill a store with the benchmark's user, its bearer token, and tasks."""

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
    for i in range(tasks):
        store.add_task(user["id"], f"Task number {i}", "Something to do, some day", i % 2 == 0)
    return user["id"]
