"""The SQL both database backends build task queries with, in their two dialects."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """How a database spells what the task queries need."""

    param: str        # the placeholder of a parameter
    lower: str        # a function lowering text, applied alike to columns and input
    position: str     # a function (haystack, needle) -> 1-based position, 0 if absent
    title_order: str  # the ORDER BY expression of titles: lowered, in code-point order


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
