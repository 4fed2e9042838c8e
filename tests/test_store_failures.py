"""When the store fails: each failure has its answer, and none of them is a 500 by accident.

A vanished account is a 401; a busy, unopenable or failing SQLite file is a 503
that says which; a database that cannot be written, or is too old, stops the start;
a file removed or replaced under a running server is noticed, never recreated.
"""

import http.client
import logging
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from servers import free_port, stop, wait_for_port
from support import PASSWORDS, ROOT, TASKS, basic, cheap_hash
from openapi_check import CheckedClient
from todo import create_app
from todo.store import StoreConfigError, StoreUnavailable, open_store
from todo.store import sqlite as sqlite_store

USERS = "/todo/api/v1.0/users"
TOKENS = "/todo/api/v1.0/tokens"
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


def assert_503(response, says):
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "Service unavailable"
    assert says in response.get_json()["message"]
    assert response.headers["Retry-After"]


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "todo.sqlite"


@pytest.fixture
def sqlite_app(db_path):
    """An app over a SQLite file holding alice, with registration open."""
    app = create_app({"TESTING": True, "STORE": f"sqlite:///{db_path}", "REGISTRATION": "open"})
    app.test_client_class = CheckedClient
    app.extensions["todo.store"].add_user("alice", cheap_hash(PASSWORDS["alice"]))
    yield app
    app.extensions["todo.store"].close()


@pytest.fixture
def sqlite_client(sqlite_app):
    return sqlite_app.test_client()


# -- 1. an account deleted while its own request runs ---------------------------


def remove_first(store, method, username):
    """Make ``store.<method>`` remove the user first: the account goes mid-request."""
    original = getattr(store, method)

    def removed_then_called(*args, **kwargs):
        assert store.remove_user(username)
        return original(*args, **kwargs)
    return removed_then_called


@pytest.mark.parametrize("method, path, body", [
    ("add_task", TASKS, {"title": "orphan"}),
    ("add_token", TOKENS, None),
])
def test_an_account_deleted_during_its_own_request_is_a_401(client, store, alice, monkeypatch,
                                                            method, path, body):
    monkeypatch.setattr(store, method, remove_first(store, method, "alice"))
    response = client.post(path, json=body, headers=alice)
    assert response.status_code == 401
    assert response.get_json()["error"] == "Unauthorized access"
    assert "no longer exists" in response.get_json()["message"]
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert store.get_user("alice") is None
    monkeypatch.undo()
    assert client.post(TASKS, json={"title": "t"}, headers=alice).status_code == 401


def test_with_403_for_failed_logins_a_deleted_account_is_a_403(store_url, monkeypatch):
    app = create_app({"TESTING": True, "STORE": store_url, "AUTH_FAILURE_STATUS": 403})
    store = app.extensions["todo.store"]
    store.add_user("alice", cheap_hash(PASSWORDS["alice"]))
    monkeypatch.setattr(store, "add_task", remove_first(store, "add_task", "alice"))
    response = app.test_client().post(TASKS, json={"title": "orphan"},
                                      headers=basic("alice", PASSWORDS["alice"]))
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response.headers
    store.close()


# -- 2. POST /users when the file cannot be opened ---------------------------------


def test_registering_when_the_file_cannot_be_opened_is_a_503(sqlite_app, sqlite_client, db_path):
    # A directory where the database was: every new connection fails to open it.
    os.replace(db_path, db_path.with_suffix(".moved"))
    db_path.mkdir()
    sqlite_app.extensions["todo.store"].close()     # the next call opens a new connection
    response = sqlite_client.post(USERS, json={"username": "carol", "password": "carol-secret"})
    assert_503(response, "cannot be opened")


# -- 3. SQLite errors are classified -------------------------------------------------


def sqlite_error(code, cls=sqlite3.OperationalError):
    """A sqlite3 error as the module raises it, with its result code and its name."""
    name = next(n for n, v in vars(sqlite3).items()
                if n.startswith("SQLITE_") and v == code and n != "SQLITE_OK")
    exc = cls(name.lower())
    exc.sqlite_errorcode, exc.sqlite_errorname = code, name
    return exc


class FailingConnection:
    """Stands for a sqlite3 connection whose every statement fails with ``error``."""

    in_transaction = False

    def __init__(self, error):
        self.error = error

    def execute(self, *args):
        raise self.error

    def close(self):
        pass


@pytest.mark.parametrize("code, status, says", [
    (sqlite3.SQLITE_BUSY, 503, "The database is busy; try again shortly."),
    (sqlite3.SQLITE_BUSY_SNAPSHOT, 503, "The database is busy; try again shortly."),
    (sqlite3.SQLITE_CANTOPEN, 503, "cannot be opened"),
    (sqlite3.SQLITE_IOERR, 503, "an I/O error"),
    (sqlite3.SQLITE_IOERR_SHORT_READ, 503, "an I/O error"),
    (sqlite3.SQLITE_ERROR, 500, None),
    (sqlite3.SQLITE_READONLY, 500, None),
    (sqlite3.SQLITE_LOCKED, 500, None),
    (sqlite3.SQLITE_CORRUPT, 500, None),
])
def test_each_sqlite_failure_gets_its_own_answer(sqlite_app, sqlite_client, monkeypatch, caplog,
                                                 code, status, says):
    store = sqlite_app.extensions["todo.store"]
    alice = basic("alice", PASSWORDS["alice"])
    assert sqlite_client.get(TASKS, headers=alice).status_code == 200   # credentials cached
    error = sqlite_error(code)
    monkeypatch.setattr(store._local, "conn", FailingConnection(error))
    response = sqlite_client.post(TASKS, json={"title": "t"}, headers=alice)
    assert response.status_code == status
    if status == 503:
        assert_503(response, says)
        assert "not reachable" not in response.get_json()["message"]
    else:
        assert response.get_json()["error"] == "Internal server error"
        failures = [r for r in caplog.records if r.exc_info and r.exc_info[1] is error]
        assert failures and failures[0].levelno == logging.ERROR   # logged with its traceback


def test_a_held_write_lock_is_a_503_that_says_busy(db_path, monkeypatch):
    monkeypatch.setattr(sqlite_store, "_BUSY_TIMEOUT_S", 0.05)
    app = create_app({"TESTING": True, "STORE": f"sqlite:///{db_path}"})
    app.test_client_class = CheckedClient
    store = app.extensions["todo.store"]
    store.add_user("alice", cheap_hash(PASSWORDS["alice"]))
    client, alice = app.test_client(), basic("alice", PASSWORDS["alice"])
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")      # another process writing, for longer than we wait
        assert_503(client.post(TASKS, json={"title": "t"}, headers=alice), "busy")
        other.execute("ROLLBACK")
        assert client.post(TASKS, json={"title": "t"}, headers=alice).status_code == 201
    finally:
        other.close()
        store.close()


def test_an_unexpected_operational_error_is_a_500_logged_with_its_traceback(
        sqlite_app, sqlite_client, db_path, caplog):
    alice = basic("alice", PASSWORDS["alice"])
    other = sqlite3.connect(db_path)
    other.execute("DROP TABLE tasks")        # "no such table" is a bug, not an outage
    other.close()
    response = sqlite_client.get(TASKS, headers=alice)
    assert response.status_code == 500
    assert b"no such table" not in response.data
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and isinstance(logged[-1].exc_info[1], sqlite3.OperationalError)
    assert "no such table" in str(logged[-1].exc_info[1])


def test_an_sqlite_without_returning_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    with pytest.raises(StoreConfigError) as excinfo:
        open_store(f"sqlite:///{tmp_path}/todo.sqlite")
    message = str(excinfo.value)
    assert "\n" not in message
    assert "3.34.1" in message and "3.35" in message
    assert not (tmp_path / "todo.sqlite").exists()


# -- 4. a database that cannot be written stops the start ------------------------------

# Run as a user other than root, who writes to any file whatever its mode: the
# modules are imported first, since the interpreter's own files may be root's only.
START_AS_NOBODY = """
import os, sys
import todo.store.sqlite
from todo.store import StoreConfigError, open_store
if os.geteuid() == 0:
    os.setgid(int(sys.argv[3]))
    os.setuid(int(sys.argv[2]))
try:
    open_store(sys.argv[1])
except StoreConfigError as exc:
    print("refused:", exc)
else:
    print("started")
"""


@pytest.fixture
def shared_dir():
    """A folder other users can reach (pytest's tmp_path is root's only)."""
    path = tempfile.mkdtemp(prefix="todo-readonly-")
    os.chmod(path, 0o755)
    yield path
    for folder, _, _ in os.walk(path):
        os.chmod(folder, 0o755)      # a read-only folder could not be emptied otherwise
    shutil.rmtree(path)


@pytest.mark.slow
@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_database_that_cannot_be_written_stops_the_start(shared_dir, read_only):
    nobody = pwd.getpwnam("nobody")
    folder = os.path.join(shared_dir, "data")
    os.mkdir(folder)
    path = os.path.join(folder, "todo.sqlite")
    store = open_store(f"sqlite:///{path}")
    store.add_user("alice", "h")
    store.close()
    assert sorted(os.listdir(folder)) == ["todo.sqlite"]   # no -wal left after a clean close
    if os.geteuid() == 0:
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    os.chmod(path if read_only == "file" else folder, 0o444 if read_only == "file" else 0o555)
    before = open(path, "rb").read()
    result = subprocess.run(
        [sys.executable, "-c", START_AS_NOBODY, f"sqlite:///{path}", str(nobody.pw_uid),
         str(nobody.pw_gid)], capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("refused: ")
    assert "cannot be written" in result.stdout
    assert open(path, "rb").read() == before


def test_a_writable_database_starts_and_its_write_check_changes_nothing(db_path):
    store = open_store(f"sqlite:///{db_path}")
    store.add_user("alice", "h")
    version = store.schema_version
    store.close()
    store = open_store(f"sqlite:///{db_path}")
    assert store.schema_version == version
    assert [u["username"] for u in store.list_users()] == ["alice"]
    store.close()


# -- 5. a file removed or replaced under a running server -------------------------------


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_file_removed_or_replaced_under_the_store_is_noticed(sqlite_app, sqlite_client,
                                                               db_path, caplog, how):
    alice = basic("alice", PASSWORDS["alice"])
    assert sqlite_client.post(TASKS, json={"title": "kept"}, headers=alice).status_code == 201
    if how == "removed":
        os.remove(db_path)
    else:
        shutil.copy(db_path, db_path.with_suffix(".copy"))
        os.replace(db_path.with_suffix(".copy"), db_path)
    with caplog.at_level(logging.ERROR):
        for _ in range(2):
            assert_503(sqlite_client.post(TASKS, json={"title": "lost"}, headers=alice),
                       "removed or replaced")
            assert_503(sqlite_client.get(TASKS, headers=alice), "removed or replaced")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and f"was {how} while in use" in errors[0].getMessage()
    assert db_path.exists() == (how == "replaced")


def test_a_new_connection_never_creates_the_database(sqlite_app, db_path):
    store = sqlite_app.extensions["todo.store"]
    os.remove(db_path)
    outcome = []

    def from_another_thread():   # a thread of its own: a connection of its own
        try:
            store.get_user("alice")
        except StoreUnavailable as exc:
            outcome.append(exc.reason)
    thread = threading.Thread(target=from_another_thread)
    thread.start()
    thread.join(timeout=30)
    assert outcome and "cannot be opened" in outcome[0]
    assert not db_path.exists()


def test_a_database_removed_while_in_use_is_not_created_again(sqlite_app, db_path):
    os.remove(db_path)        # the running store still holds its -wal and -shm files
    with pytest.raises(StoreConfigError, match="removed while in use") as excinfo:
        open_store(f"sqlite:///{db_path}")
    assert "\n" not in str(excinfo.value)
    assert not db_path.exists()


def post_task(port):
    """POST a task to 127.0.0.1:port as alice; return the status, or None if refused."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", TASKS, body='{"title": "t"}',
                     headers={"Content-Type": "application/json",
                              **basic("alice", PASSWORDS["alice"])})
        return conn.getresponse().status
    except (ConnectionError, http.client.RemoteDisconnected):
        return None
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(GUNICORN), reason="gunicorn is not installed")
def test_under_gunicorn_a_removed_file_is_never_written_nor_created_again(tmp_path, db_path):
    store = open_store(f"sqlite:///{db_path}")
    store.add_user("alice", cheap_hash(PASSWORDS["alice"]))
    store.close()
    port = free_port()
    hooks = tmp_path / "gunicorn_hooks.py"
    hooks.write_text("def post_worker_init(worker):\n"
                     "    worker.log.info('app loaded in worker %s', worker.pid)\n")
    log = open(tmp_path / "gunicorn.log", "w+")
    # Workers are replaced after 5 requests each, as a timeout or a crash would replace them.
    process = subprocess.Popen(
        [GUNICORN, "-w", "2", "-b", f"127.0.0.1:{port}", "--max-requests", "5",
         "--graceful-timeout", "5", "-c", str(hooks), "todo:create_app()"],
        env={**os.environ, "TODO_STORE": f"sqlite:///{db_path}"}, cwd=ROOT,
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, timeout=60)
        deadline = time.monotonic() + 60
        while (tmp_path / "gunicorn.log").read_text().count("app loaded in worker") < 2:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        assert post_task(port) == 201
        os.remove(db_path)
        statuses = []
        for _ in range(40):
            if process.poll() is not None:
                break
            statuses.append(post_task(port))
        assert 201 not in statuses
        assert set(statuses) <= {503, None}
        # A replaced worker refuses to start over a new empty file, and so gunicorn stops.
        process.wait(timeout=60)
        assert process.returncode != 0
        assert not db_path.exists()
    finally:
        stop(process)
        log.seek(0)
        output = log.read()
        log.close()
    assert "was removed while in use" in output
    assert "removed while in use; restore it" in output
