"""Pick a store backend from a URL: memory://, sqlite:///path or postgresql://..."""

from urllib.parse import urlsplit

from todo.store.base import (DEFAULT_SORT, SORT_KEYS, DuplicateUser, NoSuchNeighbour,
                             NoSuchUser, StoreConfigError, StoreError, StoreUnavailable,
                             TaskStore, VersionMismatch)

__all__ = ["open_store", "sqlite_path", "TaskStore", "StoreError", "StoreConfigError",
           "StoreUnavailable", "DuplicateUser", "NoSuchNeighbour", "NoSuchUser", "VersionMismatch",
           "SORT_KEYS", "DEFAULT_SORT"]

SCHEMES = "memory://, sqlite:///relative/path, sqlite:////absolute/path or postgresql://user:pass@host/db"


def sqlite_path(url):
    """Return the file path of a sqlite:/// URL (three slashes: relative, four: absolute)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise StoreConfigError(f"invalid SQLite URL {url!r}: expected {SCHEMES}")
    path = url[len(prefix):]
    if path == ":memory:":
        # Each connection would see its own empty database.
        raise StoreConfigError("sqlite:///:memory: cannot be shared between threads; use memory://")
    return path


def open_store(url, pg_pool_size=None):
    """Open (and create or migrate if needed) the store that ``url`` names.

    ``pg_pool_size`` is the most connections a PostgreSQL store keeps per process
    (None: its default).
    """
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme == "memory":
        from todo.store.memory import MemoryStore
        return MemoryStore()
    if scheme == "sqlite":
        from todo.store.sqlite import SQLiteStore
        return SQLiteStore(sqlite_path(url))
    if scheme in ("postgresql", "postgres"):
        try:
            from todo.store.postgres import PostgresStore
        except ImportError as exc:
            raise StoreConfigError(
                f"PostgreSQL support is not installed ({exc}): pip install -e '.[postgres]'"
            ) from None
        return PostgresStore(url) if pg_pool_size is None else PostgresStore(url, pg_pool_size)
    raise StoreConfigError(f"unknown store URL {url!r}: expected {SCHEMES}")
