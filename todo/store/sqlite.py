"""SQLite store: embedded, persistent, safe with many threads and worker processes."""

import os
import sqlite3
import threading

from todo.store.base import (DEFAULT_SORT, MAX_ID, TASK_CHANGES, DuplicateUser,
                             StoreConfigError, StoreUnavailable, TaskStore)
from todo.store.sql import Dialect, task_filter, task_order, version_matches

# Each entry moves the schema from version N to N+1 (PRAGMA user_version), so an
# existing database is migrated in place instead of being dropped.
MIGRATIONS = (
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL
    );
    CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids are never reused
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        done INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX tasks_by_owner ON tasks (user_id, id);
    """,
    # Each user's task count, kept by triggers, so that a page of a long list
    # does not count the whole list for its X-Total-Count.
    """
    ALTER TABLE users ADD COLUMN task_count INTEGER NOT NULL DEFAULT 0;
    UPDATE users SET task_count = (SELECT count(*) FROM tasks WHERE tasks.user_id = users.id);
    CREATE TRIGGER tasks_counted_in AFTER INSERT ON tasks BEGIN
        UPDATE users SET task_count = task_count + 1 WHERE id = NEW.user_id;
    END;
    CREATE TRIGGER tasks_counted_out AFTER DELETE ON tasks BEGIN
        UPDATE users SET task_count = task_count - 1 WHERE id = OLD.user_id;
    END;
    """,
    # Bearer tokens, kept only as hashes, so that every process sharing the
    # database honours and revokes them.
    """
    CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        expires_at REAL NOT NULL
    );
    CREATE INDEX tokens_by_owner ON tokens (user_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_TASK_COLUMNS = "id, title, description, done, version"

# py_lower is Python's str.lower, registered on every connection: SQLite's own
# lower() and NOCASE fold ASCII letters only.
DIALECT = Dialect(param="?", lower="py_lower", position="instr", title_order="py_lower(title)")
# Writers wait this long for another process's write lock before giving up.
_BUSY_TIMEOUT_S = 10.0


def _lower(text):
    return text.lower() if isinstance(text, str) else text


def _statements(script):
    """Split a migration into statements, keeping a trigger's body whole."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                yield statement
            statement = ""


def _task(row):
    return {"id": row[0], "title": row[1], "description": row[2],
            "done": bool(row[3]), "version": row[4]}


def _user(row):
    return {"id": row[0], "username": row[1], "password_hash": row[2]}


class SQLiteStore(TaskStore):
    """One connection per thread and process, WAL journal, explicit write transactions."""

    def __init__(self, path):
        self.path = path
        self._local = threading.local()
        parent = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(parent, exist_ok=True)
            self._migrate()
        except (OSError, sqlite3.Error, StoreUnavailable) as exc:
            raise StoreConfigError(f"cannot use SQLite database {path!r}: {exc}") from None

    def _connect(self):
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S,
                               isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across process crashes in WAL mode; only a power
        # loss can drop the last commits.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.create_function("py_lower", 1, _lower, deterministic=True)
        return conn

    @property
    def _conn(self):
        # Keyed by pid too: a connection must never cross a fork (gunicorn --preload).
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn = self._connect()
            local.pid = os.getpid()
        return local.conn

    def _read(self, sql, params=()):
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def _write(self, work, begin="BEGIN IMMEDIATE"):
        """Run ``work(conn)`` in one transaction (a write one by default) and return its result."""
        conn = self._conn
        try:
            conn.execute(begin)
            try:
                result = work(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return result

    def _migrate(self):
        def migrate(conn):
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise StoreConfigError(
                    f"database schema version {current} is newer than this program's "
                    f"({SCHEMA_VERSION})")
            for version in range(current, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
        self._write(migrate)

    @property
    def schema_version(self):
        """The schema version recorded in the database file."""
        return self._read("PRAGMA user_version")[0][0]

    # -- users ---------------------------------------------------------------

    def add_user(self, username, password_hash):
        def add(conn):
            try:
                cur = conn.execute(
                    "INSERT INTO users (username, password_hash) VALUES (?, ?)",
                    (username, password_hash))
            except sqlite3.IntegrityError:
                raise DuplicateUser(username) from None
            return {"id": cur.lastrowid, "username": username,
                    "password_hash": password_hash}
        return self._write(add)

    def get_user(self, username):
        rows = self._read("SELECT id, username, password_hash FROM users WHERE username = ?",
                          (username,))
        return _user(rows[0]) if rows else None

    def get_user_by_id(self, user_id):
        rows = self._read("SELECT id, username, password_hash FROM users WHERE id = ?", (user_id,))
        return _user(rows[0]) if rows else None

    def set_password_hash(self, user_id, password_hash):
        def change(conn):
            cur = conn.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                               (password_hash, user_id))
            conn.execute("DELETE FROM tokens WHERE user_id = ?", (user_id,))
            return cur.rowcount > 0
        return self._write(change)

    def remove_user(self, username):
        def remove(conn):
            row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
            if row is None:
                return False
            for table in ("tasks", "tokens"):
                conn.execute(f"DELETE FROM {table} WHERE user_id = ?", row)
            conn.execute("DELETE FROM users WHERE id = ?", row)
            return True
        return self._write(remove)

    # -- tokens --------------------------------------------------------------

    def add_token(self, user_id, token_hash, expires_at, now):
        def add(conn):
            conn.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,))
            conn.execute("INSERT INTO tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
                         (token_hash, user_id, expires_at))
        self._write(add)

    def get_token_user(self, token_hash, now):
        rows = self._read("SELECT u.id, u.username, u.password_hash FROM tokens t "
                          "JOIN users u ON u.id = t.user_id "
                          "WHERE t.token_hash = ? AND t.expires_at > ?", (token_hash, now))
        return _user(rows[0]) if rows else None

    def delete_token(self, token_hash):
        return self._write(lambda conn: conn.execute(
            "DELETE FROM tokens WHERE token_hash = ?", (token_hash,)).rowcount > 0)

    def list_users(self):
        return [_user(r) for r in self._read(
            "SELECT id, username, password_hash FROM users ORDER BY id")]

    def count_users(self):
        return self._read("SELECT count(*) FROM users")[0][0]

    # -- tasks ---------------------------------------------------------------

    def find_tasks(self, user_id, *, done=None, startswith=None, q=None, sort=DEFAULT_SORT,
                   offset=0, limit=100):
        where, params = task_filter(DIALECT, user_id, done, startswith, q)
        if done is not None:
            params[1] = int(done)

        def find(conn):
            # One read transaction: the page and the count come from one snapshot.
            rows = conn.execute(
                f"SELECT {_TASK_COLUMNS} FROM tasks WHERE {where} "
                f"ORDER BY {task_order(DIALECT, sort)} LIMIT ? OFFSET ?",
                (*params, -1 if limit is None else limit, offset)).fetchall()
            if len(params) == 1:
                total = conn.execute("SELECT task_count FROM users WHERE id = ?",
                                     params).fetchone()
                total = total[0] if total else 0
            else:
                total = conn.execute(f"SELECT count(*) FROM tasks WHERE {where}",
                                     params).fetchone()[0]
            return [_task(r) for r in rows], total
        return self._write(find, begin="BEGIN DEFERRED")

    def get_task(self, user_id, task_id):
        if not 0 <= task_id <= MAX_ID:
            return None
        rows = self._read(f"SELECT {_TASK_COLUMNS} FROM tasks WHERE id = ? AND user_id = ?",
                          (task_id, user_id))
        return _task(rows[0]) if rows else None

    def add_task(self, user_id, title, description="", done=False):
        def add(conn):
            try:
                cur = conn.execute(
                    "INSERT INTO tasks (user_id, title, description, done) VALUES (?, ?, ?, ?)",
                    (user_id, title, description, int(done)))
            except sqlite3.IntegrityError:
                raise ValueError(f"no user with id {user_id}") from None
            return {"id": cur.lastrowid, "title": title, "description": description,
                    "done": bool(done), "version": 1}
        return self._write(add)

    def update_task(self, user_id, task_id, changes, versions=None):
        unknown = set(changes) - TASK_CHANGES
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        if not 0 <= task_id <= MAX_ID:
            return None
        # Column names come from TASK_CHANGES only, never from the caller's text.
        columns = sorted(changes)
        assignments = "".join(f"{c} = ?, " for c in columns)
        values = [int(changes[c]) if c == "done" else changes[c] for c in columns]

        def update(conn):
            if not version_matches(conn, DIALECT, user_id, task_id, versions):
                return None
            row = conn.execute(
                f"UPDATE tasks SET {assignments}version = version + 1 "
                f"WHERE id = ? AND user_id = ? RETURNING {_TASK_COLUMNS}",
                (*values, task_id, user_id)).fetchone()
            return _task(row) if row else None
        return self._write(update)

    def delete_task(self, user_id, task_id, versions=None):
        if not 0 <= task_id <= MAX_ID:
            return False

        def delete(conn):
            if not version_matches(conn, DIALECT, user_id, task_id, versions):
                return False
            cur = conn.execute("DELETE FROM tasks WHERE id = ? AND user_id = ?",
                               (task_id, user_id))
            return cur.rowcount > 0
        return self._write(delete)

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local = threading.local()
