"""SQLite store: embedded, persistent, safe with many threads and worker processes."""

import logging
import os
import sqlite3
import threading
from urllib.parse import quote

from todo.store import ordering
from todo.store.base import StoreConfigError, StoreUnavailable
from todo.store.sql import FOREIGN_KEY, UNIQUE, Dialect, SQLStore, keyed_usernames, migrate


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


# The lists' indexes: each user's count of done tasks, kept like task_count; indexes for
# done= and the title sorts; and a trigram index of the lowered texts for q= (FTS5's
# trigram tokenizer, SQLite 3.34 or newer).  They index title_key and description_key,
# the texts lowered by Python's str.lower (SQLite's own lower() and NOCASE fold ASCII
# letters only), which the store writes beside the texts: a function of the app's own
# in the schema would stop every other program (the sqlite3 shell, its integrity_check)
# from writing tasks, or even checking the file.
LIST_INDEXES = """
    ALTER TABLE users ADD COLUMN done_count INTEGER NOT NULL DEFAULT 0;
    UPDATE users SET done_count =
        (SELECT count(*) FROM tasks WHERE tasks.user_id = users.id AND done);
    CREATE TRIGGER tasks_done_in AFTER INSERT ON tasks WHEN NEW.done BEGIN
        UPDATE users SET done_count = done_count + 1 WHERE id = NEW.user_id;
    END;
    CREATE TRIGGER tasks_done_out AFTER DELETE ON tasks WHEN OLD.done BEGIN
        UPDATE users SET done_count = done_count - 1 WHERE id = OLD.user_id;
    END;
    CREATE TRIGGER tasks_done_changed AFTER UPDATE OF done ON tasks
    WHEN NEW.done IS NOT OLD.done BEGIN
        UPDATE users SET done_count = done_count + (CASE WHEN NEW.done THEN 1 ELSE -1 END)
        WHERE id = NEW.user_id;
    END;
    CREATE INDEX tasks_by_done ON tasks (user_id, done, id);
    CREATE INDEX tasks_by_title ON tasks (user_id, title_key, id);
    CREATE INDEX tasks_by_done_title ON tasks (user_id, done DESC, title_key, id);
    CREATE VIRTUAL TABLE tasks_text USING fts5(title, description,
        tokenize = 'trigram case_sensitive 1');
    INSERT INTO tasks_text (rowid, title, description)
        SELECT id, title_key, description_key FROM tasks;
    CREATE TRIGGER tasks_text_in AFTER INSERT ON tasks BEGIN
        INSERT INTO tasks_text (rowid, title, description)
        VALUES (NEW.id, NEW.title_key, NEW.description_key);
    END;
    CREATE TRIGGER tasks_text_out AFTER DELETE ON tasks BEGIN
        DELETE FROM tasks_text WHERE rowid = OLD.id;
    END;
    CREATE TRIGGER tasks_text_changed AFTER UPDATE OF title_key, description_key ON tasks BEGIN
        UPDATE tasks_text SET title = NEW.title_key, description = NEW.description_key
        WHERE rowid = NEW.id;
    END;
"""


def _index_lists(conn):
    conn.execute("ALTER TABLE tasks ADD COLUMN title_key TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE tasks ADD COLUMN description_key TEXT NOT NULL DEFAULT ''")
    rows = conn.execute("SELECT id, title, description FROM tasks").fetchall()
    conn.executemany("UPDATE tasks SET title_key = ?, description_key = ? WHERE id = ?",
                     [(title.lower(), description.lower(), task_id)
                      for task_id, title, description in rows])
    _run_script(conn, LIST_INDEXES)


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
    # Lists that stay fast as they grow (see _index_lists).
    _index_lists,
    # Each task's place in its list: existing tasks keep their id order (todo.store.ordering).
    f"""
    ALTER TABLE tasks ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
    UPDATE tasks SET position = min(id, {ordering.MAX_ORDER // ordering.GAP}) * {ordering.GAP};
    CREATE INDEX tasks_by_position ON tasks (user_id, position, id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)



def _contains(needle):
    """Tasks whose lowered title or description contains ``needle``: FTS5 finds, instr decides."""
    exact = "(instr(title_key, ?) > 0 OR instr(description_key, ?) > 0)"
    if len(needle) < 3:
        return exact, [needle, needle]   # a trigram index cannot look up fewer characters
    # A quoted phrase: the needle's trigrams in a row, whatever characters it holds.
    phrase = '"' + needle.replace('"', '""') + '"'
    return (f"id IN (SELECT rowid FROM tasks_text WHERE tasks_text MATCH ?) AND {exact}",
            [phrase, needle, needle])


DIALECT = Dialect(param="?", lowered_title="title_key", title_order="title_key",
                  contains=_contains, no_limit=-1, stored_keys=True)
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


def _statements(script):
    """Split a migration into statements, keeping a trigger's body whole."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                yield statement
            statement = ""


# Which constraint an IntegrityError's extended result code names.
_REFUSED_BY = {
    sqlite3.SQLITE_CONSTRAINT_UNIQUE: UNIQUE,
    sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY: UNIQUE,
    sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY: FOREIGN_KEY,
}


def _run_script(conn, script):
    for statement in _statements(script):
        conn.execute(statement)


def _record_version(conn, version):
    conn.execute(f"PRAGMA user_version = {int(version)}")


class SQLiteStore(SQLStore):
    """One connection per thread and process, WAL journal, explicit write transactions."""

    dialect = DIALECT
    integrity_error = sqlite3.IntegrityError

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
            _record_version(conn, conn.execute("PRAGMA user_version").fetchone()[0])
        self._transaction(rewrite)

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

    @staticmethod
    def _refused_by(exc):
        return _REFUSED_BY.get(exc.sqlite_errorcode)

    def _query(self, sql, params=()):
        """Return the rows of one statement, run in a transaction of its own."""
        try:
            conn = self._conn
            self._check_file()
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            unavailable = _unavailable(exc)
            if unavailable is None:
                raise   # a bug or a damaged file: a 500, logged with its traceback
            raise unavailable from exc

    def _transaction(self, work, snapshot=False):
        """Run ``work(conn)`` in one write transaction (or one read snapshot); return its result."""
        try:
            conn = self._conn
            self._check_file()
            # A deferred transaction takes no write lock: its first read fixes the snapshot.
            conn.execute("BEGIN DEFERRED" if snapshot else "BEGIN IMMEDIATE")
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
        def run(conn):
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            migrate(conn, current, SCHEMA_VERSION, MIGRATIONS, _run_script, _record_version)
        self._transaction(run)

    @property
    def schema_version(self):
        """The schema version recorded in the database file."""
        return self._query("PRAGMA user_version")[0][0]

    def close(self):
        """Release connections; the store must not be used afterwards."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local = threading.local()

    # -- backups and moving stores (todo.store.transfer) ----------------------

    @staticmethod
    def _ids_used(conn):
        # AUTOINCREMENT keeps the highest id ever handed out in sqlite_sequence.
        return dict(conn.execute("SELECT name, seq FROM sqlite_sequence "
                                 "WHERE name IN ('users', 'tasks')").fetchall())

    @staticmethod
    def _raise_ids(conn, ids):
        for table, used in ids.items():
            if conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?",
                            (used, table)).rowcount == 0:
                conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                             (table, used))

    def integrity_problems(self):
        """Return what PRAGMA integrity_check and foreign_key_check find: [] when it is sound."""
        try:
            problems = [row[0] for row in self._query("PRAGMA integrity_check") if row[0] != "ok"]
            problems += [f"{table} row {rowid} refers to a missing {parent}"
                         for table, rowid, parent, _ in self._query("PRAGMA foreign_key_check")]
        except sqlite3.DatabaseError as exc:
            # A file damaged badly enough fails the check itself: that is its finding.
            return [str(exc)]
        return problems

    def backup(self, path):
        """Copy the live database to the new file ``path`` (SQLite's online backup); give its URL."""
        target_path = os.path.abspath(path)
        try:
            # O_EXCL: never over an existing file, which may be another live database.
            os.close(os.open(target_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise StoreConfigError(f"{path!r} exists already: back up to a new file") from None
        except OSError as exc:
            raise StoreConfigError(f"cannot write the backup {path!r}: {exc.strerror}") from None
        try:
            conn = self._conn
            self._check_file()
            target = sqlite3.connect(target_path)
            try:
                # Every page in one step, so one read snapshot: WAL writers do not wait
                # for it, and a stepwise copy would restart at each of their commits.
                conn.backup(target)
            finally:
                target.close()
        except BaseException as exc:
            os.remove(target_path)
            if isinstance(exc, sqlite3.Error):
                raise StoreConfigError(f"cannot back up to {path!r}: {exc}") from None
            raise
        return f"sqlite:///{target_path}"
