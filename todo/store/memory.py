"""A thread-safe store that lives in the process: for tests and throwaway servers."""

import itertools
import threading

from todo import usernames
from todo.store import ordering
from todo.store.base import (DEFAULT_SORT, TASK_CHANGES, DuplicateUser, NoSuchNeighbour,
                             NoSuchUser, StoreConfigError, TaskStore, VersionMismatch, storable)

_SORT_VALUE = {"id": lambda t: t["id"], "title": lambda t: t["title"].lower(),
               "done": lambda t: t["done"], "order": lambda t: t["order"]}


class MemoryStore(TaskStore):
    """Dicts behind one lock; every call returns copies, so callers never share state."""

    def __init__(self):
        self._lock = threading.Lock()
        self._users = {}          # usernames.key(username) -> user
        self._owned = {}          # owner id -> {task id: task}, insertion = id order
        self._tokens = {}         # token hash -> (user id, expires at)
        self._names = {}          # user id -> usernames.key(username)
        self._tops = {}           # owner id -> the highest order their list has held
        self._next_user_id = 1
        self._next_task_id = 1

    def add_user(self, username, password_hash):
        if not storable(username):
            raise ValueError("a username must be text without NUL or lone surrogates")
        key = usernames.key(username)
        with self._lock:
            if key in self._users:
                raise DuplicateUser(username)
            user = {"id": self._next_user_id, "username": usernames.normalize(username),
                    "password_hash": password_hash}
            self._next_user_id += 1
            self._users[key] = user
            self._names[user["id"]] = key
            self._owned[user["id"]] = {}
            return dict(user)

    def get_user(self, username):
        with self._lock:
            user = self._users.get(usernames.key(username))
            return dict(user) if user else None

    def get_user_by_id(self, user_id):
        with self._lock:
            return self._user_by_id(user_id)

    def _user_by_id(self, user_id):
        user = self._users.get(self._names.get(user_id))
        return dict(user) if user else None

    def set_password_hash(self, user_id, password_hash):
        with self._lock:
            user = self._users.get(self._names.get(user_id))
            if user is None:
                return False
            user["password_hash"] = password_hash
            self._revoke_tokens(user_id)
            return True

    def remove_user(self, username):
        with self._lock:
            user = self._users.pop(usernames.key(username), None)
            if user is None:
                return False
            del self._owned[user["id"]]
            del self._names[user["id"]]
            self._tops.pop(user["id"], None)
            self._revoke_tokens(user["id"])
            return True

    def _revoke_tokens(self, user_id):
        for token_hash in [h for h, (owner, _) in self._tokens.items() if owner == user_id]:
            del self._tokens[token_hash]

    def add_token(self, user_id, token_hash, expires_at, now):
        with self._lock:
            if user_id not in self._names:
                raise NoSuchUser(user_id)
            # Expired tokens go when new ones come, so the dict stays bounded.
            for expired in [h for h, (_, expiry) in self._tokens.items() if expiry <= now]:
                del self._tokens[expired]
            self._tokens[token_hash] = (user_id, expires_at)

    def get_token_user(self, token_hash, now):
        with self._lock:
            entry = self._tokens.get(token_hash)
            if entry is None or entry[1] <= now:
                return None
            return self._user_by_id(entry[0])

    def delete_token(self, token_hash):
        with self._lock:
            return self._tokens.pop(token_hash, None) is not None

    def list_users(self):
        with self._lock:
            return sorted((dict(u) for u in self._users.values()), key=lambda u: u["id"])

    def count_users(self):
        with self._lock:
            return len(self._users)

    def find_tasks(self, user_id, *, done=None, startswith=None, q=None, sort=DEFAULT_SORT,
                   offset=0, limit=100):
        end = None if limit is None else offset + limit
        with self._lock:
            owned = self._owned.get(user_id, {})
            if done is None and not startswith and not q and tuple(sort) == DEFAULT_SORT:
                # The common case costs the page, not the list: dicts keep id order.
                return ([dict(t) for t in itertools.islice(owned.values(), offset, end)],
                        len(owned))
            tasks = [t for t in owned.values() if _matches(t, done, startswith, q)]
            # Stable sorts, last key first, give the multi-key order; id breaks ties.
            for key, descending in reversed((*sort, ("id", False))):
                tasks.sort(key=_SORT_VALUE[key], reverse=descending)
            return [dict(t) for t in tasks[offset:end]], len(tasks)

    def get_task(self, user_id, task_id):
        with self._lock:
            task = self._owned.get(user_id, {}).get(task_id)
            return dict(task) if task else None

    def add_task(self, user_id, title, description="", done=False, order=None):
        with self._lock:
            owned = self._owned.get(user_id)
            if owned is None:
                raise NoSuchUser(user_id)
            if order is None:
                # The highest order the list has held, kept as tasks come (a scan
                # would cost the list): above every task, so last.
                order = ordering.next_order(self._tops.get(user_id))
            self._note_order(user_id, order)
            task = {"id": self._next_task_id, "title": title, "description": description,
                    "done": done, "order": order, "version": 1}
            self._next_task_id += 1
            owned[task["id"]] = task
            return dict(task)

    def _note_order(self, user_id, order):
        self._tops[user_id] = max(order, self._tops.get(user_id, order))

    def _current(self, user_id, task_id, versions):
        """Return the user's stored task (None: none); raise VersionMismatch if it is not at
        one of ``versions`` (None: any). Hold the lock."""
        task = self._owned.get(user_id, {}).get(task_id)
        if task is not None and versions is not None and task["version"] not in versions:
            raise VersionMismatch(task_id)
        return task

    def update_task(self, user_id, task_id, changes, versions=None):
        unknown = set(changes) - TASK_CHANGES
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        with self._lock:
            task = self._current(user_id, task_id, versions)
            if task is None:
                return None
            task.update(changes)
            task["version"] += 1
            if "order" in changes:
                self._note_order(user_id, changes["order"])
            return dict(task)

    def delete_task(self, user_id, task_id, versions=None):
        with self._lock:
            if self._current(user_id, task_id, versions) is None:
                return False
            del self._owned[user_id][task_id]
            return True

    def move_task(self, user_id, task_id, *, before=None, after=None, versions=None):
        with self._lock:
            task = self._current(user_id, task_id, versions)
            if task is None:
                return None
            owned = self._owned[user_id]
            side, other_id = ("before", before) if before is not None else ("after", after)
            other = owned.get(other_id)
            if other is None:
                raise NoSuchNeighbour(side, other_id)
            if other is task:
                return dict(task)   # next to itself: where it is
            spot = (other["order"], other["id"])
            # The list in (order, id) order, without the moved task: cut at the spot.
            keys = sorted((t["order"], t["id"]) for t in owned.values() if t is not task)
            cut = keys.index(spot) + (side == "after")
            sides = {ordering.BELOW: keys[:cut][::-1], ordering.ABOVE: keys[cut:]}
            plan = ordering.plan_move((task["order"], task_id),
                                      lambda where, limit: sides[where][:limit])
            for moved_id, order in plan:
                owned[moved_id]["order"] = order
                owned[moved_id]["version"] += 1
                self._note_order(user_id, order)
            return dict(task)

    def delete_tasks(self, user_id):
        with self._lock:
            owned = self._owned.get(user_id, {})
            count = len(owned)
            owned.clear()
            self._tops.pop(user_id, None)
            return count

    # -- backups and moving stores (todo.store.transfer) ----------------------

    def export_rows(self, now):
        """Return all users, tasks, tokens unexpired by ``now``, and the ids used, at one moment."""
        with self._lock:
            tasks = sorted(({**task, "user_id": owner} for owner, owned in self._owned.items()
                            for task in owned.values()), key=lambda t: t["id"])
            return {"users": sorted((dict(u) for u in self._users.values()),
                                    key=lambda u: u["id"]),
                    "tasks": tasks,
                    "tokens": [{"token_hash": h, "user_id": owner, "expires_at": expiry}
                               for h, (owner, expiry) in sorted(self._tokens.items())
                               if expiry > now],
                    "ids": {"users": self._next_user_id - 1, "tasks": self._next_task_id - 1}}

    def import_rows(self, rows):
        """Insert ``export_rows()``'s rows, keeping their ids, into this empty store in one step."""
        with self._lock:
            if self._users:
                raise StoreConfigError("the destination holds data already (users: "
                                       f"{len(self._users)}): copy only into an empty store")
            for user in rows["users"]:
                key = usernames.key(user["username"])
                self._users[key] = dict(user)
                self._names[user["id"]] = key
                self._owned[user["id"]] = {}
            for task in rows["tasks"]:
                owner = task["user_id"]
                self._note_order(owner, task["order"])
                self._owned[owner][task["id"]] = {
                    k: task[k] for k in ("id", "title", "description", "done", "order",
                                         "version")}
            for token in rows["tokens"]:
                self._tokens[token["token_hash"]] = (token["user_id"], token["expires_at"])
            self._next_user_id = 1 + max(self._next_user_id - 1, rows["ids"]["users"],
                                         *(u["id"] for u in rows["users"]))
            self._next_task_id = 1 + max(self._next_task_id - 1, rows["ids"]["tasks"],
                                         *(t["id"] for t in rows["tasks"]))

    def row_counts(self):
        """Return how many users, tasks and tokens the store holds, by those names."""
        with self._lock:
            return {"users": len(self._users),
                    "tasks": sum(len(owned) for owned in self._owned.values()),
                    "tokens": len(self._tokens)}


def _matches(task, done, startswith, q):
    if done is not None and task["done"] != done:
        return False
    if startswith and not task["title"].lower().startswith(startswith.lower()):
        return False
    if q:
        q = q.lower()
        return q in task["title"].lower() or q in task["description"].lower()
    return True
