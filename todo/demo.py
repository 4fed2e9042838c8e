"""The articles' demo account and tasks, for trying the service out."""

from todo.store import DuplicateUser

USERNAME = "miguel"
PASSWORD = "python"
TASKS = (
    ("Buy groceries", "Milk, Cheese, Pizza, Fruit, Tylenol"),
    ("Learn Python", "Need to find a good Python tutorial on the web"),
)


def seed(store, hashing):
    """Create the demo account and its two tasks if the store has no users; say if it did."""
    if store.count_users():
        return False
    try:
        user = store.add_user(USERNAME, hashing.hash(PASSWORD))
    except DuplicateUser:
        return False   # another worker process seeded it a moment ago
    for title, description in TASKS:
        store.add_task(user["id"], title, description)
    return True
