"""PostgreSQL store: one database shared by any number of app servers."""

import logging
import os
import threading

import psycopg
from psycopg.errors import ForeignKeyViolation, IntegrityError, UniqueViolation
from psycopg_pool import ConnectionPool, PoolTimeout

from todo.store import ordering
from todo.store.base import StoreConfigError, StoreUnavailable
from todo.store.sql import FOREIGN_KEY, UNIQUE, Dialect, SQLStore, keyed_usernames, migrate

log = logging.getLogger(__name__)


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


def _trigram_indexes(conn):
    """Index the lowered titles and descriptions by trigrams, where pg_trgm can be had.

    pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, so the
    database's owner may create it; where it is missing, q= still works, by scanning.
    """
    try:
        with conn.transaction():   # a savepoint: a refusal leaves the migration going
            conn.execute(_TRIGRAM_EXTENSION)
    except psycopg.Error as exc:
        log.warning("pg_trgm is not available (%s): q= searches scan each list; "
                    "install PostgreSQL's contrib, then run: %s", str(exc).strip(),
                    "; ".join(_TRIGRAM_INDEXES))
        return
    for statement in _TRIGRAM_INDEXES:
        conn.execute(statement)


_TRIGRAM_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
_TRIGRAM_INDEXES = (
    "CREATE INDEX tasks_title_trigrams ON tasks USING gin (lower(title) gin_trgm_ops)",
    "CREATE INDEX tasks_description_trigrams ON tasks USING gin (lower(description) gin_trgm_ops)",
)


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
    # Lists that stay fast as they grow: the count of done tasks kept like task_count,
    # and indexes for done= and the title sorts, on the very expression they sort by.
    """
    ALTER TABLE users ADD COLUMN done_count bigint NOT NULL DEFAULT 0;
    UPDATE users SET done_count =
        (SELECT count(*) FROM tasks WHERE tasks.user_id = users.id AND done);
    CREATE FUNCTION todo_count_done() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE users SET done_count = done_count + 1 WHERE id = NEW.user_id;
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE users SET done_count = done_count - 1 WHERE id = OLD.user_id;
        ELSE
            UPDATE users SET done_count = done_count + CASE WHEN NEW.done THEN 1 ELSE -1 END
            WHERE id = NEW.user_id;
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER tasks_done_in AFTER INSERT ON tasks
        FOR EACH ROW WHEN (NEW.done) EXECUTE FUNCTION todo_count_done();
    CREATE TRIGGER tasks_done_out AFTER DELETE ON tasks
        FOR EACH ROW WHEN (OLD.done) EXECUTE FUNCTION todo_count_done();
    CREATE TRIGGER tasks_done_changed AFTER UPDATE OF done ON tasks
        FOR EACH ROW WHEN (NEW.done IS DISTINCT FROM OLD.done) EXECUTE FUNCTION todo_count_done();
    CREATE INDEX tasks_by_done ON tasks (user_id, done, id);
    CREATE INDEX tasks_by_title ON tasks (user_id, (lower(title) COLLATE "C"), id);
    CREATE INDEX tasks_by_done_title ON tasks (user_id, done DESC, (lower(title) COLLATE "C"), id);
    """,
    # q= by trigram indexes (pg_trgm, which LIKE uses).
    _trigram_indexes,
    # Each task's place in its list: existing tasks keep their id order (todo.store.ordering).
    f"""
    ALTER TABLE tasks ADD COLUMN position bigint NOT NULL DEFAULT 0;
    UPDATE tasks SET position = least(id, {ordering.MAX_ORDER // ordering.GAP}) * {ordering.GAP};
    CREATE INDEX tasks_by_position ON tasks (user_id, position, id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

# Any number will do, as long as it is the same in every process: it names the
# advisory lock that keeps two servers starting at once from both migrating.
_MIGRATION_LOCK = 0x70D0
# COLLATE "C": titles sort by code point, as in the other stores, whatever the
# database's locale.
def _contains(needle):
    """Tasks whose lowered title or description contains ``needle``: LIKE, which pg_trgm indexes."""
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return "(lower(title) LIKE %s OR lower(description) LIKE %s)", [pattern, pattern]


DIALECT = Dialect(param="%s", lowered_title="lower(title)",
                  title_order='lower(title) COLLATE "C"',
                  contains=_contains,
                  lock_list="SELECT id FROM users WHERE id = %s FOR UPDATE")
_CONNECT_TIMEOUT_S = 5
# Connections per process: a sync worker uses one at a time, so 2 leave one spare
# (a thread that scrapes metrics, a health check); raise it for threaded workers.
DEFAULT_POOL_SIZE = 2
# How long a request waits for a pooled connection before answering 503.
_CHECKOUT_TIMEOUT_S = 3.0
# What makes a transaction one snapshot, for a page and its count.
_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"


def _run_script(conn, script):
    conn.execute(script)


def _record_version(conn, version):
    conn.execute("UPDATE schema_version SET version = %s", (version,))


def _where(url):
    """Describe the server of a URL without its password, for messages."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


class PostgresStore(SQLStore):
    """A psycopg 3 connection pool; each call is one transaction, retried by nobody."""

    dialect = DIALECT
    integrity_error = IntegrityError

    def __init__(self, url, pool_size=DEFAULT_POOL_SIZE):
        self.url = url
        self._pool_size = pool_size
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
                    # Autocommit: a lone statement is its own transaction, with no
                    # BEGIN and COMMIT round trips; prepare_threshold 0 prepares each
                    # statement on its first use.  No check on checkout (a round trip
                    # per request): a connection broken by a database restart fails
                    # its request, and the pool is then checked (_failed).
                    self._pool_ = ConnectionPool(
                        self.url, min_size=1, max_size=self._pool_size,
                        kwargs={"connect_timeout": _CONNECT_TIMEOUT_S, "autocommit": True,
                                "prepare_threshold": 0},
                        open=True)
                    self._pool_pid = os.getpid()
        return self._pool_

    @staticmethod
    def _refused_by(exc):
        if isinstance(exc, UniqueViolation):
            return UNIQUE
        if isinstance(exc, ForeignKeyViolation):
            return FOREIGN_KEY
        return None

    def _transaction(self, work, snapshot=False):
        """Run ``work(cursor)`` in one transaction (or one read snapshot) and return its result."""
        def run(conn):
            with conn.transaction(), conn.cursor() as cur:
                if snapshot:
                    cur.execute(_SNAPSHOT)
                return work(cur)
        return self._on_connection(run)

    def _query(self, sql, params=()):
        """Return the rows of one statement, its own transaction: one round trip."""
        return self._on_connection(lambda conn: conn.execute(sql, params).fetchall())

    def _write(self, sql, params=()):
        """Run one statement that changes rows, atomic on its own: (its rows, its rowcount)."""
        def write(conn):
            cur = conn.execute(sql, params)
            return (cur.fetchall() if cur.description else []), cur.rowcount
        return self._on_connection(write)

    def _on_connection(self, work):
        """Return ``work(connection)`` on a pooled connection; an outage is StoreUnavailable."""
        try:
            with self._pool.connection(timeout=_CHECKOUT_TIMEOUT_S) as conn:
                return work(conn)
        except PoolTimeout as exc:
            raise StoreUnavailable(str(exc)) from exc
        except psycopg.OperationalError as exc:
            self._failed()
            raise StoreUnavailable(str(exc)) from exc

    def _failed(self):
        """After a connection failed: replace the pool's other broken ones before they are used.

        The pool already discards the connection that failed when it comes back;
        its idle ones likely broke with it (a restart), and would each fail a request.
        """
        try:
            self._pool.check()
        except psycopg.Error:
            pass   # still down: the next request's connection attempt says so

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
            migrate(conn, current, SCHEMA_VERSION, MIGRATIONS, _run_script, _record_version)

    @property
    def schema_version(self):
        """The schema version recorded in the database."""
        return self._query("SELECT version FROM schema_version")[0][0]

    def close(self):
        """Release connections; the store must not be used afterwards."""
        if self._pool_ is not None and self._pool_pid == os.getpid():
            self._pool_.close()
        self._pool_ = self._pool_pid = None

    def pool_stats(self):
        """Return psycopg_pool's get_stats() of this process's pool, or {} if it has none yet."""
        # Read, never made here: a metrics scrape must not open a pool in a process that has none.
        if self._pool_ is None or self._pool_pid != os.getpid():
            return {}
        return self._pool_.get_stats()

    # -- backups and moving stores (todo.store.transfer) ----------------------
    # Identity columns are GENERATED ALWAYS: a copy must insist on its own ids.
    keep_ids = " OVERRIDING SYSTEM VALUE"

    @staticmethod
    def _ids_used(cur):
        # An identity column's sequence: its last value, None until it hands one out.
        return {table: cur.execute(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass)",
            (table,)).fetchone()[0] for table in ("users", "tasks")}

    @staticmethod
    def _raise_ids(cur, ids):
        for table, used in ids.items():
            # is_called false: nothing handed out yet, so the next id is 1.
            cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)",
                        (table, max(used, 1), used > 0))

    def backup(self, path):
        """Refuse: a PostgreSQL database is backed up with pg_dump, which the README shows."""
        raise StoreConfigError("a PostgreSQL database is backed up with pg_dump, not this "
                               "command: pg_dump --format=custom --file=FILE DATABASE_URL")
