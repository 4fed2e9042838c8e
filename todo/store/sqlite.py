"""SQLite store: embedded, persistent, safe with many threads and worker processes."""

import logging
import os
import sqlite3
import threading
from urllib.parse import quote

from todo import usernames
from todo.store.base import (DEFAULT_SORT, MAX_ID, TASK_CHANGES, DuplicateUser, NoSuchUser,
                             StoreConfigError, StoreUnavailable, TaskStore, storable)
from todo.store.sql import Dialect, keyed_usernames, task_filter, task_order, version_matches


def _key_usernames(conn):
    """Make usernames unique case-insensitively: store each one's usernames.key.

    In Python, as SQL has no NFKC or casefold; names that clash stop it (and the
    transaction it runs in changes nothing).
    """
    conn.execute("ALTER TABLE users ADD COLUMN username_key TEXT")
    rows = conn.execute("SELECT id, username FROM users ORDER BY id").fetchall()
    conn.executemany("UPDATE users SET username = ?, username_key = ? WHERE id = ?",
                     keyed_usernames(rows))
    conn.execute("CREATE UNIQUE INDEX users_by_key ON users (username_key)")
    # SQLite adds no NOT NULL column without a default; this refuses a user
    # without a key instead (say, from a server still running the last release).
    conn.execute("CREATE TRIGGER users_have_keys BEFORE INSERT ON users "
                 "WHEN NEW.username_key IS NULL "
                 "BEGIN SELECT RAISE(ABORT, 'users.username_key may not be NULL'); END")


# Each entry moves the schema from version N to N+1 (PRAGMA user_version), so an
# existing database is migrated in place instead of being dropped.  An entry is
# SQL, or a function of the connection for what SQL cannot do.
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
    # Usernames unique whatever their case or width: "Miguel" is "miguel".
    _key_usernames,
)
SCHEMA_VERSION = len(MIGRATIONS)

_TASK_COLUMNS = "id, title, description, done, version"

# py_lower is Python's str.lower, registered on every connection: SQLite's own
# lower() and NOCASE fold ASCII letters only.
DIALECT = Dialect(param="?", lower="py_lower", position="instr", title_order="py_lower(title)")
# Writers wait this long for another process's write lock before giving up.
_BUSY_TIMEOUT_S = 10.0
# The oldest SQLite that runs the store's SQL: UPDATE ... RETURNING came in 3.35.
MIN_SQLITE_VERSION = (3, 35, 0)

# The only failures a retry may cure, by primary result code (an extended code
# keeps its primary one in the low byte), with what the client is told.  Every
# other sqlite3 error is a bug or a damaged file: a 500, logged with its traceback.
_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY: "The database is busy; try again shortly.",
    sqlite3.SQLITE_CANTOPEN: "The database file cannot be opened; try again later.",
    sqlite3.SQLITE_IOERR: "The database file cannot be read or written (an I/O error); "
                          "try again later.",
}
_MOVED = "The database file was removed or replaced while the server was using it; " \
         "try again later."

log = logging.getLogger(__name__)


def _unavailable(exc):
    """Return the StoreUnavailable that a sqlite3 error means, or None if it is a bug."""
    code = getattr(exc, "sqlite_errorcode", None)
    reason = _UNAVAILABLE.get(code & 0xFF) if code is not None else None
    if reason is None:
        return None
    return StoreUnavailable(f"{exc} ({exc.sqlite_errorname})", reason)


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


def _no_such_user(exc, user_id):
    """Return NoSuchUser for a refused foreign key; re-raise any other IntegrityError."""
    if exc.sqlite_errorcode != sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
        raise exc
    return NoSuchUser(user_id)


def _task(row):
    return {"id": row[0], "title": row[1], "description": row[2],
            "done": bool(row[3]), "version": row[4]}


def _user(row):
    return {"id": row[0], "username": row[1], "password_hash": row[2]}


class SQLiteStore(TaskStore):
    """One connection per thread and process, WAL journal, explicit write transactions."""

    def __init__(self, path):
        self.path = path
        # Absolute once: every later connection opens the very file this one did.
        self._abspath = os.path.abspath(path)
        self._local = threading.local()
        self._moved_noticed = None   # the pid that logged the file's disappearance
        if sqlite3.sqlite_version_info < MIN_SQLITE_VERSION:
            raise StoreConfigError(
                f"SQLite {sqlite3.sqlite_version} is too old for the SQLite store: it needs "
                f"{'.'.join(map(str, MIN_SQLITE_VERSION))} or newer (for RETURNING)")
        try:
            self._open_first()
            self._migrate()
            self._check_writable()
        except (OSError, sqlite3.Error, StoreUnavailable) as exc:
            self.close()
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY:
                exc = (f"it cannot be written ({exc}); this user needs write access to the "
                       f"file and to its folder, where the -wal and -shm files are made")
            raise StoreConfigError(f"cannot use SQLite database {path!r}: {exc}") from None
        except StoreConfigError:
            self.close()
            raise

    def _open_first(self):
        """Open this process's first connection, creating the database only if there is none."""
        os.makedirs(os.path.dirname(self._abspath), exist_ok=True)
        exists = os.path.exists(self._abspath)
        if not exists and any(os.path.exists(self._abspath + suffix)
                              for suffix in ("-wal", "-shm")):
            # Its journal outlived it: it was removed under a server that may still
            # run.  A new database here would split the data (and meet the old journal).
            raise StoreConfigError(
                f"cannot use SQLite database {self.path!r}: it is missing but its -wal or "
                f"-shm file is still there, so it was removed while in use; restore it, or "
                f"stop every server using it and remove those files too")
        self._local.conn = self._connect(create=not exists)
        self._local.pid = os.getpid()
        stat = os.stat(self._abspath)
        # What the file is, so that a removed or replaced one is noticed (_check_file).
        self._file_id = (stat.st_dev, stat.st_ino)

    def _check_writable(self):
        # A read-only file opens, answers reads and begins write transactions: only a
        # real write finds out, so make one that changes nothing (SQLITE_READONLY if not).
        def rewrite(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(version)}")
        self._write(rewrite)

    def _connect(self, create=False):
        # mode=rw: a database that has gone missing is an error, never a new empty one
        # (only the first connection of a store may create it).
        uri = f"file:{quote(self._abspath)}?mode={'rwc' if create else 'rw'}"
        conn = sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_S,
                               isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across process crashes in WAL mode; only a power
            # loss can drop the last commits.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.create_function("py_lower", 1, _lower, deterministic=True)
        except BaseException:
            conn.close()
            raise
        return conn

    @property
    def _conn(self):
        # Keyed by pid too: a connection must never cross a fork (gunicorn --preload).
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn = self._connect()
            local.pid = os.getpid()
        return local.conn

    def _check_file(self):
        """Refuse to go on if the path no longer names the file the store opened.

        A connection keeps using a removed file, and one replaced under it: its
        writes would be answered as stored, and lost (or split from the new file's).
        """
        try:
            stat = os.stat(self._abspath)
            if (stat.st_dev, stat.st_ino) == self._file_id:
                return
            what = "replaced"
        except FileNotFoundError:
            what = "removed"
        if self._moved_noticed != os.getpid():
            self._moved_noticed = os.getpid()
            log.error("SQLite database %s was %s while in use: answering 503 until the "
                      "server is restarted on a restored file", self._abspath, what)
        raise StoreUnavailable(f"SQLite database {self._abspath} was {what} while in use",
                               _MOVED)

    def _read(self, sql, params=()):
        try:
            conn = self._conn
            self._check_file()
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            unavailable = _unavailable(exc)
            if unavailable is None:
                raise   # a bug or a damaged file: a 500, logged with its traceback
            raise unavailable from exc

    def _write(self, work, begin="BEGIN IMMEDIATE"):
        """Run ``work(conn)`` in one transaction (a write one by default) and return its result."""
        try:
            conn = self._conn
            self._check_file()
            conn.execute(begin)
            try:
                result = work(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            unavailable = _unavailable(exc)
            if unavailable is None:
                raise   # a bug or a damaged file: a 500, logged with its traceback
            raise unavailable from exc
        return result

    def _migrate(self):
        def migrate(conn):
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise StoreConfigError(
                    f"database schema version {current} is newer than this program's "
                    f"({SCHEMA_VERSION})")
            for version in range(current, SCHEMA_VERSION):
                step = MIGRATIONS[version]
                if callable(step):
                    step(conn)
                else:
                    for statement in _statements(step):
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
        self._write(migrate)

    @property
    def schema_version(self):
        """The schema version recorded in the database file."""
        return self._read("PRAGMA user_version")[0][0]

    # -- users ---------------------------------------------------------------

    def add_user(self, username, password_hash):
        if not storable(username):
            raise ValueError("a username must be text without NUL or lone surrogates")
        name = usernames.normalize(username)

        def add(conn):
            try:
                cur = conn.execute(
                    "INSERT INTO users (username, username_key, password_hash) VALUES (?, ?, ?)",
                    (name, usernames.key(name), password_hash))
            except sqlite3.IntegrityError:
                raise DuplicateUser(name) from None
            return {"id": cur.lastrowid, "username": name, "password_hash": password_hash}
        return self._write(add)

    def get_user(self, username):
        if not storable(username):
            return None
        rows = self._read("SELECT id, username, password_hash FROM users WHERE username_key = ?",
                          (usernames.key(username),))
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
        if not storable(username):
            return False

        def remove(conn):
            row = conn.execute("SELECT id FROM users WHERE username_key = ?",
                               (usernames.key(username),)).fetchone()
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
            try:
                conn.execute("INSERT INTO tokens (token_hash, user_id, expires_at) "
                             "VALUES (?, ?, ?)", (token_hash, user_id, expires_at))
            except sqlite3.IntegrityError as exc:
                # The account was deleted while this request ran.
                raise _no_such_user(exc, user_id) from None
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
            except sqlite3.IntegrityError as exc:
                raise _no_such_user(exc, user_id) from None
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
