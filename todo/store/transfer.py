"""Back up, check and copy stores, through the store contract alone: no Flask here."""

import time

from todo.store import open_store
from todo.store.base import StoreError

TABLES = ("users", "tasks", "tokens")


def backup(store, path):
    """Back ``store`` up to the new file ``path`` and check the copy; return its row counts."""
    url = store.backup(path)
    copy = open_store(url)
    try:
        problems = copy.integrity_problems()
        if problems:
            raise StoreError(f"the backup {path!r} fails its integrity check: {problems[0]}")
        return copy.row_counts()
    finally:
        copy.close()


def copy(source, destination, now=None):
    """Copy every user, task and token unexpired by ``now`` into the empty ``destination``.

    Ids, versions and password and token hashes stay as they are; the
    destination's ids then continue above the source's.  Return the row counts,
    checked in the destination.
    """
    rows = source.export_rows(time.time() if now is None else now)
    destination.import_rows(rows)
    expected = {table: len(rows[table]) for table in TABLES}
    found = destination.row_counts()
    if found != expected:
        raise StoreError(f"the copy is incomplete: {counted(expected)} were copied, but the "
                         f"destination holds {counted(found)}")
    return expected


def check(store):
    """Return (schema version or None, integrity problems or None if unchecked, row counts)."""
    return store.schema_version, store.integrity_problems(), store.row_counts()


def counted(counts):
    """Say row counts in words: "2 users, 5 tasks, 1 token"."""
    return ", ".join(f"{counts[table]} {table if counts[table] != 1 else table[:-1]}"
                     for table in TABLES)
