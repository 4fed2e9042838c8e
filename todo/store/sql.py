"""The SQL both database backends build task queries with, in their two dialects."""

from dataclasses import dataclass

from todo import usernames
from todo.store.base import StoreConfigError, VersionMismatch

# How many groups of clashing usernames a failed migration names (one line, bounded).
_CLASHES_SHOWN = 10


@dataclass(frozen=True)
class Dialect:
    """How a database spells what the task queries need."""

    param: str        # the placeholder of a parameter
    lower: str        # a function lowering text, applied alike to columns and input
    position: str     # a function (haystack, needle) -> 1-based position, 0 if absent
    title_order: str  # the ORDER BY expression of titles: lowered, in code-point order
    lock_row: str = ""  # what makes a SELECT lock the row it reads until the commit


def task_filter(dialect, user_id, done=None, startswith=None, q=None):
    """Return (WHERE clause, parameters) selecting one user's matching tasks."""
    p, lower = dialect.param, dialect.lower
    where, params = [f"user_id = {p}"], [user_id]
    if done is not None:
        where.append(f"done = {p}")
        params.append(done)
    if startswith:
        # Compared as a lowered prefix rather than with LIKE: no wildcards to escape.
        prefix = startswith.lower()
        where.append(f"substr({lower}(title), 1, {p}) = {p}")
        params += [len(prefix), prefix]
    if q:
        needle = q.lower()
        where.append(f"({dialect.position}({lower}(title), {p}) > 0 "
                     f"OR {dialect.position}({lower}(description), {p}) > 0)")
        params += [needle, needle]
    return " AND ".join(where), params


def task_order(dialect, sort):
    """Return the ORDER BY clause of (key, descending) pairs, id breaking ties."""
    columns = {"id": "id", "title": dialect.title_order, "done": "done"}
    terms = [columns[key] + (" DESC" if descending else "") for key, descending in sort]
    if not any(key == "id" for key, _ in sort):
        terms.append("id")
    return ", ".join(terms)


def version_matches(cursor, dialect, user_id, task_id, versions):
    """Inside a write transaction: check a task's version before changing it.

    Return True if the write may go ahead (no versions required, or the current
    one is among them), False if there is no such task, and raise
    VersionMismatch if the task has another version.
    """
    if versions is None:
        return True
    p = dialect.param
    row = cursor.execute(f"SELECT version FROM tasks WHERE id = {p} AND user_id = {p}"
                         f"{dialect.lock_row}", (task_id, user_id)).fetchone()
    if row is None:
        return False
    if row[0] not in versions:
        raise VersionMismatch(task_id)
    return True


def keyed_usernames(rows):
    """For the migration to case-insensitive names: (normalised name, key, id) of each row.

    ``rows`` are (id, username) pairs.  Names that share a key cannot all stay
    accounts of their own, and which one to keep is the operator's choice: they
    are named in a StoreConfigError, and the migration changes nothing.
    """
    by_key = {}
    for _, name in rows:
        by_key.setdefault(usernames.key(name), []).append(name)
    clashes = [names for names in by_key.values() if len(names) > 1]
    if clashes:
        shown = "; ".join(", ".join(repr(name) for name in names)
                          for names in clashes[:_CLASHES_SHOWN])
        if len(clashes) > _CLASHES_SHOWN:
            shown += f"; and {len(clashes) - _CLASHES_SHOWN} more groups"
        raise StoreConfigError(
            "usernames must now differ in more than case or width, and these do not: "
            f"{shown}. Nothing was changed: rename or delete all but one of each "
            "(with the previous release, or in the database), then start again")
    return [(usernames.normalize(name), usernames.key(name), user_id) for user_id, name in rows]
