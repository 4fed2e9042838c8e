"""The store contract: what every backend does, in plain data, with no Flask."""

from abc import ABC, abstractmethod


class StoreError(Exception):
    """Base class of everything a store raises on purpose."""


class StoreConfigError(StoreError):
    """The store URL cannot be used: unknown scheme, unusable path, server unreachable."""


class StoreUnavailable(StoreError):
    """The database cannot serve right now; the request may be retried later.

    ``str(exc)`` is the detail for the operator's log; ``reason`` is the sentence
    for the client, saying which kind of trouble it is.
    """

    def __init__(self, detail, reason="The database is not reachable; try again shortly."):
        super().__init__(detail)
        self.reason = reason


class NoSuchUser(StoreError):
    """The user a call names does not exist (any longer: deleted while the request ran)."""


class DuplicateUser(StoreError):
    """A user with that name exists already."""


class VersionMismatch(StoreError):
    """The task exists, but its version is not one the caller required."""


class NoSuchNeighbour(StoreError):
    """A move named, as the task to go ``side`` of ("before" or "after"), none of the owner's."""

    def __init__(self, side, task_id):
        super().__init__(f"no task {task_id} to move {side}")
        self.side = side


# What a caller may change with update_task().
TASK_CHANGES = frozenset(("title", "description", "done", "order"))
# SQL databases keep ids as signed 64-bit integers: a larger id names no task
# (and must not reach the database, which would refuse to compare it).
MAX_ID = 2**63 - 1
# What find_tasks() sorts by: (key, descending) pairs, applied in order, with
# id as the last tie-breaker.  Titles sort case-insensitively; order is the list's own
# (todo.store.ordering).
SORT_KEYS = ("id", "title", "done", "order")
DEFAULT_SORT = (("id", False),)


def storable(text):
    """Whether every backend can keep ``text``: no NUL (PostgreSQL refuses it), valid UTF-8."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")   # lone surrogates cannot be encoded
    except UnicodeEncodeError:
        return False
    return True


class TaskStore(ABC):
    """Users and their tasks.

    Users are dicts ``{"id", "username", "password_hash"}``.  A username is
    kept NFKC-normalised (``usernames.normalize``); names are unique, and found,
    by ``usernames.key`` (case-insensitively): ``get_user("MIGUEL")`` is miguel.
    A name that no backend can store (see ``storable``) names nobody.

    Tasks are dicts ``{"id", "title", "description", "done", "order", "version"}``.  A list
    is in (order, id) order when sorted by ``order`` (todo.store.ordering).  Every task call
    names the owner, and a task that belongs to somebody else is treated
    exactly like a task that does not exist.  Ids are never reused, and
    ``version`` starts at 1 and grows by one with every update.
    """

    # -- users ---------------------------------------------------------------

    @abstractmethod
    def add_user(self, username, password_hash):
        """Create a user under the normalised name and return it.

        Raise DuplicateUser if a user has the same key, ValueError if the name
        is not ``storable``.  The username rule (``usernames.check``) is the
        caller's to apply: databases from before it hold names that break it.
        """

    @abstractmethod
    def get_user(self, username):
        """Return the user whose name has the same key as ``username``, or None."""

    @abstractmethod
    def get_user_by_id(self, user_id):
        """Return the user with this id, or None."""

    @abstractmethod
    def set_password_hash(self, user_id, password_hash):
        """Replace a user's password hash and revoke all their tokens; False if no such user."""

    @abstractmethod
    def remove_user(self, username):
        """Delete the user whose name has the same key, with all their tasks and tokens.

        Return False if there was no such user.
        """

    @abstractmethod
    def list_users(self):
        """Return all users, in id order."""

    @abstractmethod
    def count_users(self):
        """Return how many users there are."""

    # -- tokens --------------------------------------------------------------
    # A token is kept only as a hash; ``expires_at`` and ``now`` are epoch seconds.

    @abstractmethod
    def add_token(self, user_id, token_hash, expires_at, now):
        """Record a token of the user's, valid until ``expires_at``; forget those expired by ``now``.

        Raise NoSuchUser if there is no user with that id.
        """

    @abstractmethod
    def get_token_user(self, token_hash, now):
        """Return the user a token belongs to if it has not expired by ``now``, else None."""

    @abstractmethod
    def delete_token(self, token_hash):
        """Revoke a token; return False if there was no such token."""

    # -- tasks ---------------------------------------------------------------

    def list_tasks(self, user_id):
        """Return all the user's tasks in id order."""
        return self.find_tasks(user_id, limit=None)[0]

    @abstractmethod
    def find_tasks(self, user_id, *, done=None, startswith=None, q=None, sort=DEFAULT_SORT,
                   offset=0, limit=100):
        """Return (one page of the user's matching tasks, how many match in all).

        ``done`` keeps tasks with that state; ``startswith`` those whose title
        starts with it, and ``q`` those whose title or description contains it,
        both ignoring case; ``sort`` is a sequence of (key, descending) pairs from
        SORT_KEYS; ``limit`` None means no limit.
        """

    @abstractmethod
    def get_task(self, user_id, task_id):
        """Return the user's task with this id, or None."""

    @abstractmethod
    def add_task(self, user_id, title, description="", done=False, order=None):
        """Create a task for the user and return it; raise NoSuchUser if there is no such user.

        Without an ``order`` it goes last: ordering.GAP above the highest order it holds
        (the memory store: has held).
        """

    @abstractmethod
    def update_task(self, user_id, task_id, changes, versions=None):
        """Apply ``changes`` (a subset of TASK_CHANGES) and return the task, or None.

        With ``versions`` (a collection), change the task only if its current
        version is one of them, and raise VersionMismatch otherwise: the check
        and the write are one atomic step, whichever process does them.
        """

    @abstractmethod
    def delete_task(self, user_id, task_id, versions=None):
        """Delete the user's task; return False if there was no such task.

        ``versions`` works as for update_task().
        """

    @abstractmethod
    def move_task(self, user_id, task_id, *, before=None, after=None, versions=None):
        """Put the task just before task ``before``, or just after task ``after``; return it.

        Return None if there is no such task; raise NoSuchNeighbour if the other
        task is not the user's.  It writes the moved task, and only when its
        neighbours leave no room a few of them too (ordering.plan_move), in one
        transaction that no other move of the same list interleaves with.
        ``versions`` works as for update_task(); a task already there (or moved next
        to itself) is unchanged.
        """

    @abstractmethod
    def delete_tasks(self, user_id):
        """Delete every task of the user's; return how many there were."""

    def close(self):
        """Release connections; the store must not be used afterwards."""

    # -- backups and moving stores (todo.store.transfer) ----------------------
    # Rows in plain dicts: users {"id", "username", "password_hash"}, tasks
    # {"id", "user_id", "title", "description", "done", "order", "version"}, tokens
    # {"token_hash", "user_id", "expires_at"}; "ids" is the highest id each of
    # "users" and "tasks" has ever handed out (0 for none), deleted rows included.

    @property
    def schema_version(self):
        """The schema version the store records, or None where it keeps no schema."""
        return None

    def export_rows(self, now):
        """Return all users, tasks, tokens unexpired by ``now`` and the ids used, in one snapshot."""
        raise StoreError(f"{type(self).__name__} cannot export its rows")

    def import_rows(self, rows):
        """Insert ``export_rows()``'s rows, keeping their ids, into this empty store in one step.

        New ids then continue above ``rows["ids"]`` and every copied id; raise
        StoreError, changing nothing, if the store holds any user already.
        """
        raise StoreError(f"{type(self).__name__} cannot import rows")

    def row_counts(self):
        """Return how many users, tasks and tokens the store holds, by those names."""
        raise StoreError(f"{type(self).__name__} cannot count its rows")

    def integrity_problems(self):
        """Return the database's integrity check's findings ([] when sound), or None without one."""
        return None

    def backup(self, path):
        """Write a consistent copy of the live database to the new file ``path``; return its URL."""
        raise StoreError(f"{type(self).__name__} has no file to back up")
