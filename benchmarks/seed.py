"""Fill a store with the benchmark's user and tasks."""

from todo.credentials import hash_password

USERNAME, PASSWORD = "miguel", "python"


def seed(store, tasks):
    """Add miguel (scrypt hash) and ``tasks`` tasks to an empty store; return his id."""
    user = store.add_user(USERNAME, hash_password(PASSWORD))
    for i in range(tasks):
        store.add_task(user["id"], f"Task number {i}", "Something to do, some day", i % 2 == 0)
    return user["id"]
