"""A throwaway PostgreSQL server for the tests, started with initdb and pg_ctl."""

import glob
import os
import shutil
import subprocess
import tempfile

from servers import free_port

SUPERUSER = "todo"


def find_bindir():
    """Return the folder of initdb and pg_ctl, or None where PostgreSQL is not installed."""
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    # Debian keeps them off the PATH, one folder per major version.
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def why_unavailable():
    """Say why PostgreSQL tests cannot run here, or return None if they can."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres,test]')"
    if find_bindir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start PostgreSQL as another user"
    if os.geteuid() == 0:
        try:
            import pwd
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run PostgreSQL as"
    return None


class PostgresServer:
    """One server on 127.0.0.1 with trust authentication, in a temporary folder."""

    def __init__(self):
        self.bindir = find_bindir()
        self.root = tempfile.mkdtemp(prefix="todo-pg-")
        self.datadir = os.path.join(self.root, "data")
        self.port = free_port()
        self._shared = {}
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root.
            shutil.chown(self.root, "postgres", "postgres")
            self._prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self._prefix = []
        self._run("initdb", "-D", self.datadir, "-U", SUPERUSER, "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()

    def _run(self, tool, *args):
        subprocess.run([*self._prefix, os.path.join(self.bindir, tool), *args],
                       check=True, capture_output=True, timeout=120)

    def url(self, dbname="postgres"):
        """Return the URL of a database on this server."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def start(self):
        """Start (or restart) the server, and wait until it accepts connections."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        self._run("pg_ctl", "-D", self.datadir, "-o", options, "-l",
                  os.path.join(self.root, "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        """Stop the server (mode fast, or immediate to simulate a crash)."""
        self._run("pg_ctl", "-D", self.datadir, "-m", mode, "-w", "-t", "60", "stop")

    def create_database(self, name):
        """Create an empty database and return its URL."""
        import psycopg
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def emptied_database(self, name):
        """Return the URL of a database kept for the whole run, emptied of every row now."""
        if name not in self._shared:
            self._shared[name] = SharedDatabase(self.create_database(name))
        return self._shared[name].emptied()

    def destroy(self):
        """Stop the server and remove its files."""
        for database in self._shared.values():
            database.close()
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass   # not running
        shutil.rmtree(self.root, ignore_errors=True)


class SharedDatabase:
    """One database that many tests use in turn: creating a database per test is slow."""

    # The store's record of its migrations: emptied, the next store would migrate again.
    KEPT = ("schema_version",)

    def __init__(self, url):
        import psycopg
        self.url = url
        self._conn = psycopg.connect(url, autocommit=True)
        # A store a test left in a transaction must fail the next test, not hang it.
        self._conn.execute("SET lock_timeout = '10s'")

    def emptied(self):
        """Delete every row of the tables the store made and restart its ids; return the URL.

        DELETE, not TRUNCATE: on tables this small it is ten times faster, which
        counts once per test. The replica role skips the foreign-key and counting
        triggers, which have nothing left to check once every row is gone.
        """
        from psycopg import sql
        with self._conn.transaction():
            self._conn.execute("SET LOCAL session_replication_role = replica")
            for (table,) in self._conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    ).fetchall():
                if table not in self.KEPT:
                    self._conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
            self._conn.execute("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false)"
                               " FROM pg_sequences WHERE schemaname = current_schema()")
        return self.url

    def close(self):
        self._conn.close()
