"""A thread-safe store that lives in the process: for tests and throwaway servers."""

import threading

from todo.store.base import TASK_CHANGES, DuplicateUser, TaskStore


class MemoryStore(TaskStore):
    """Dicts behind one lock; every call returns copies, so callers never share state."""

    def __init__(self):
        self._lock = threading.Lock()
        self._users = {}          # username -> user
        self._owned = {}          # owner id -> {task id: task}, insertion = id order
        self._next_user_id = 1
        self._next_task_id = 1

    def add_user(self, username, password_hash):
        with self._lock:
            if username in self._users:
                raise DuplicateUser(username)
            user = {"id": self._next_user_id, "username": username,
                    "password_hash": password_hash}
            self._next_user_id += 1
            self._users[username] = user
            self._owned[user["id"]] = {}
            return dict(user)

    def get_user(self, username):
        with self._lock:
            user = self._users.get(username)
            return dict(user) if user else None

    def remove_user(self, username):
        with self._lock:
            user = self._users.pop(username, None)
            if user is None:
                return False
            del self._owned[user["id"]]
            return True

    def list_users(self):
        with self._lock:
            return sorted((dict(u) for u in self._users.values()), key=lambda u: u["id"])

    def count_users(self):
        with self._lock:
            return len(self._users)

    def list_tasks(self, user_id):
        with self._lock:
            return [dict(t) for t in self._owned.get(user_id, {}).values()]

    def get_task(self, user_id, task_id):
        with self._lock:
            task = self._owned.get(user_id, {}).get(task_id)
            return dict(task) if task else None

    def add_task(self, user_id, title, description="", done=False):
        with self._lock:
            owned = self._owned.get(user_id)
            if owned is None:
                raise ValueError(f"no user with id {user_id}")
            task = {"id": self._next_task_id, "title": title,
                    "description": description, "done": done, "version": 1}
            self._next_task_id += 1
            owned[task["id"]] = task
            return dict(task)

    def update_task(self, user_id, task_id, changes):
        unknown = set(changes) - TASK_CHANGES
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        with self._lock:
            task = self._owned.get(user_id, {}).get(task_id)
            if task is None:
                return None
            task.update(changes)
            task["version"] += 1
            return dict(task)

    def delete_task(self, user_id, task_id):
        with self._lock:
            return self._owned.get(user_id, {}).pop(task_id, None) is not None
