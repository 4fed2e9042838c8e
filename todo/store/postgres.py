"""PostgreSQL store: one database shared by any number of app servers."""

import os
import threading

import psycopg
from psycopg.errors import ForeignKeyViolation, UniqueViolation
from psycopg_pool import ConnectionPool, PoolTimeout

from todo import usernames
from todo.store.base import (DEFAULT_SORT, MAX_ID, TASK_CHANGES, DuplicateUser, NoSuchUser,
                             StoreConfigError, StoreUnavailable, TaskStore, storable)
from todo.store.sql import Dialect, keyed_usernames, task_filter, task_order, version_matches


def _key_usernames(conn):
    """Make usernames unique case-insensitively: store each one's usernames.key.

    In Python, as SQL's lower() is not casefold and depends on the locale; names
    that clash stop it (and the transaction it runs in changes nothing).
    """
    # ALTER TABLE locks the table first: no user comes or goes while the keys are made.
    conn.execute("ALTER TABLE users ADD COLUMN username_key text")
    rows = conn.execute("SELECT id, username FROM users ORDER BY id").fetchall()
    with conn.cursor() as cur:
        cur.executemany("UPDATE users SET username = %s, username_key = %s WHERE id = %s",
                        keyed_usernames(rows))
    conn.execute("ALTER TABLE users ALTER COLUMN username_key SET NOT NULL")
    conn.execute("CREATE UNIQUE INDEX users_by_key ON users (username_key)")


# Each entry moves the schema from version N to N+1 (table schema_version), so
# an existing database is migrated in place instead of being dropped.  An entry
# is SQL, or a function of the connection for what SQL cannot do.
MIGRATIONS = (
    """
    CREATE TABLE users (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        username text NOT NULL UNIQUE,
        password_hash text NOT NULL
    );
    CREATE TABLE tasks (
        -- An identity column's sequence never hands out a number twice: ids are never reused.
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title text NOT NULL,
        description text NOT NULL DEFAULT '',
        done boolean NOT NULL DEFAULT false,
        version integer NOT NULL DEFAULT 1
    );
    CREATE INDEX tasks_by_owner ON tasks (user_id, id);
    """,
    # Each user's task count, kept by a trigger, so that a page of a long list
    # does not count the whole list for its X-Total-Count.
    """
    ALTER TABLE users ADD COLUMN task_count bigint NOT NULL DEFAULT 0;
    UPDATE users SET task_count = (SELECT count(*) FROM tasks WHERE tasks.user_id = users.id);
    CREATE FUNCTION todo_count_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE users SET task_count = task_count + 1 WHERE id = NEW.user_id;
        ELSE
            UPDATE users SET task_count = task_count - 1 WHERE id = OLD.user_id;
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER tasks_counted AFTER INSERT OR DELETE ON tasks
        FOR EACH ROW EXECUTE FUNCTION todo_count_tasks();
    """,
    # Bearer tokens, kept only as hashes, so that every server sharing the
    # database honours and revokes them.
    """
    CREATE TABLE tokens (
        token_hash text PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        expires_at double precision NOT NULL
    );
    CREATE INDEX tokens_by_owner ON tokens (user_id);
    """,
    # Usernames unique whatever their case or width: "Miguel" is "miguel".
    _key_usernames,
)
SCHEMA_VERSION = len(MIGRATIONS)

# Any number will do, as long as it is the same in every process: it names the
# advisory lock that keeps two servers starting at once from both migrating.
_MIGRATION_LOCK = 0x70D0
_TASK_COLUMNS = "id, title, description, done, version"
# COLLATE "C": titles sort by code point, as in the other stores, whatever the
# database's locale.
DIALECT = Dialect(param="%s", lower="lower", position="strpos",
                  title_order='lower(title) COLLATE "C"', lock_row=" FOR UPDATE")
_CONNECT_TIMEOUT_S = 5
# How long a request waits for a pooled connection before answering 503.
_CHECKOUT_TIMEOUT_S = 3.0


def _task(row):
    return {"id": row[0], "title": row[1], "description": row[2], "done": row[3],
            "version": row[4]}


def _user(row):
    return {"id": row[0], "username": row[1], "password_hash": row[2]}


def _where(url):
    """Describe the server of a URL without its password, for messages."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


class PostgresStore(TaskStore):
    """A psycopg 3 connection pool; each call is one transaction, retried by nobody."""

    def __init__(self, url, min_size=1, max_size=10):
        self.url = url
        self._sizes = (min_size, max_size)
        try:
            # A direct first connection gives a precise error (refused, bad password, no
            # such database) where a pool would only time out.
            with psycopg.connect(url, connect_timeout=_CONNECT_TIMEOUT_S) as conn:
                self._migrate(conn)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise StoreConfigError(f"cannot use PostgreSQL at {_where(url)}: {reason}") from None
        self._pool_lock = threading.Lock()
        self._pool_pid = None
        self._pool_ = None

    @property
    def _pool(self):
        # A pool's connections and threads do not survive a fork (gunicorn
        # --preload): each process opens its own, on first use.
        if self._pool_pid != os.getpid():
            with self._pool_lock:
                if self._pool_pid != os.getpid():
                    self._pool_ = ConnectionPool(
                        self.url, min_size=self._sizes[0], max_size=self._sizes[1],
                        kwargs={"connect_timeout": _CONNECT_TIMEOUT_S},
                        # Checked on checkout, so connections broken by a database
                        # restart are replaced instead of failing a request.
                        check=ConnectionPool.check_connection, open=True)
                    self._pool_pid = os.getpid()
        return self._pool_

    def _run(self, work):
        """Run ``work(cursor)`` in one transaction and return its result."""
        try:
            with self._pool.connection(timeout=_CHECKOUT_TIMEOUT_S) as conn:
                with conn.cursor() as cur:
                    return work(cur)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    def _migrate(self, conn):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (0)")
                current = 0
            else:
                current = row[0]
            if current > SCHEMA_VERSION:
                raise StoreConfigError(
                    f"database schema version {current} is newer than this program's "
                    f"({SCHEMA_VERSION})")
            for version in range(current, SCHEMA_VERSION):
                step = MIGRATIONS[version]
                if callable(step):
                    step(conn)
                else:
                    conn.execute(step)
                conn.execute("UPDATE schema_version SET version = %s", (version + 1,))

    @property
    def schema_version(self):
        """The schema version recorded in the database."""
        return self._run(lambda cur: cur.execute("SELECT version FROM schema_version").fetchone()[0])

    # -- users ---------------------------------------------------------------

    def add_user(self, username, password_hash):
        if not storable(username):
            raise ValueError("a username must be text without NUL or lone surrogates")
        name = usernames.normalize(username)

        def add(cur):
            try:
                cur.execute("INSERT INTO users (username, username_key, password_hash) "
                            "VALUES (%s, %s, %s) RETURNING id",
                            (name, usernames.key(name), password_hash))
            except UniqueViolation:
                raise DuplicateUser(name) from None
            return {"id": cur.fetchone()[0], "username": name, "password_hash": password_hash}
        return self._run(add)

    def get_user(self, username):
        if not storable(username):
            return None

        def get(cur):
            row = cur.execute("SELECT id, username, password_hash FROM users "
                              "WHERE username_key = %s", (usernames.key(username),)).fetchone()
            return _user(row) if row else None
        return self._run(get)

    def get_user_by_id(self, user_id):
        def get(cur):
            row = cur.execute("SELECT id, username, password_hash FROM users WHERE id = %s",
                              (user_id,)).fetchone()
            return _user(row) if row else None
        return self._run(get)

    def set_password_hash(self, user_id, password_hash):
        def change(cur):
            changed = cur.execute("UPDATE users SET password_hash = %s WHERE id = %s",
                                  (password_hash, user_id)).rowcount > 0
            cur.execute("DELETE FROM tokens WHERE user_id = %s", (user_id,))
            return changed
        return self._run(change)

    def remove_user(self, username):
        if not storable(username):
            return False
        # ON DELETE CASCADE takes the user's tasks along.
        return self._run(lambda cur: cur.execute(
            "DELETE FROM users WHERE username_key = %s", (usernames.key(username),)).rowcount > 0)

    def list_users(self):
        return self._run(lambda cur: [_user(r) for r in cur.execute(
            "SELECT id, username, password_hash FROM users ORDER BY id").fetchall()])

    def count_users(self):
        return self._run(lambda cur: cur.execute("SELECT count(*) FROM users").fetchone()[0])

    # -- tokens --------------------------------------------------------------

    def add_token(self, user_id, token_hash, expires_at, now):
        def add(cur):
            cur.execute("DELETE FROM tokens WHERE expires_at <= %s", (now,))
            try:
                cur.execute("INSERT INTO tokens (token_hash, user_id, expires_at) "
                            "VALUES (%s, %s, %s)", (token_hash, user_id, expires_at))
            except ForeignKeyViolation:
                # The account was deleted while this request ran.
                raise NoSuchUser(user_id) from None
        self._run(add)

    def get_token_user(self, token_hash, now):
        def get(cur):
            row = cur.execute("SELECT u.id, u.username, u.password_hash FROM tokens t "
                              "JOIN users u ON u.id = t.user_id "
                              "WHERE t.token_hash = %s AND t.expires_at > %s",
                              (token_hash, now)).fetchone()
            return _user(row) if row else None
        return self._run(get)

    def delete_token(self, token_hash):
        return self._run(lambda cur: cur.execute(
            "DELETE FROM tokens WHERE token_hash = %s", (token_hash,)).rowcount > 0)

    # -- tasks ---------------------------------------------------------------

    def find_tasks(self, user_id, *, done=None, startswith=None, q=None, sort=DEFAULT_SORT,
                   offset=0, limit=100):
        where, params = task_filter(DIALECT, user_id, done, startswith, q)

        def find(cur):
            # One snapshot for the page and the count.
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            rows = cur.execute(
                f"SELECT {_TASK_COLUMNS} FROM tasks WHERE {where} "
                f"ORDER BY {task_order(DIALECT, sort)} LIMIT %s OFFSET %s",
                (*params, limit, offset)).fetchall()
            if len(params) == 1:
                total = cur.execute("SELECT task_count FROM users WHERE id = %s",
                                    params).fetchone()
                total = total[0] if total else 0
            else:
                total = cur.execute(f"SELECT count(*) FROM tasks WHERE {where}",
                                    params).fetchone()[0]
            return [_task(r) for r in rows], total
        return self._run(find)

    def get_task(self, user_id, task_id):
        if not 0 <= task_id <= MAX_ID:
            return None

        def get(cur):
            row = cur.execute(f"SELECT {_TASK_COLUMNS} FROM tasks WHERE id = %s AND user_id = %s",
                              (task_id, user_id)).fetchone()
            return _task(row) if row else None
        return self._run(get)

    def add_task(self, user_id, title, description="", done=False):
        def add(cur):
            try:
                cur.execute("INSERT INTO tasks (user_id, title, description, done) "
                            f"VALUES (%s, %s, %s, %s) RETURNING {_TASK_COLUMNS}",
                            (user_id, title, description, done))
            except ForeignKeyViolation:
                raise NoSuchUser(user_id) from None
            return _task(cur.fetchone())
        return self._run(add)

    def update_task(self, user_id, task_id, changes, versions=None):
        unknown = set(changes) - TASK_CHANGES
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        if not 0 <= task_id <= MAX_ID:
            return None
        # Column names come from TASK_CHANGES only, never from the caller's text.
        columns = sorted(changes)
        assignments = "".join(f"{c} = %s, " for c in columns)

        def update(cur):
            if not version_matches(cur, DIALECT, user_id, task_id, versions):
                return None
            row = cur.execute(
                f"UPDATE tasks SET {assignments}version = version + 1 "
                f"WHERE id = %s AND user_id = %s RETURNING {_TASK_COLUMNS}",
                (*(changes[c] for c in columns), task_id, user_id)).fetchone()
            return _task(row) if row else None
        return self._run(update)

    def delete_task(self, user_id, task_id, versions=None):
        if not 0 <= task_id <= MAX_ID:
            return False

        def delete(cur):
            if not version_matches(cur, DIALECT, user_id, task_id, versions):
                return False
            return cur.execute("DELETE FROM tasks WHERE id = %s AND user_id = %s",
                               (task_id, user_id)).rowcount > 0
        return self._run(delete)

    def close(self):
        if self._pool_ is not None and self._pool_pid == os.getpid():
            self._pool_.close()
        self._pool_ = self._pool_pid = None
