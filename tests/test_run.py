"""Starting the service: run.py, create_app's settings, and gunicorn."""

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from servers import free_port, stop, wait_for_port
from support import ROOT, TASKS, basic
from todo import create_app
from todo.config import ConfigError

DEMO = basic("miguel", "python")


def get(port, path=TASKS, headers=DEMO, timeout=10):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read().decode()


@pytest.mark.slow
def test_run_seeds_the_demo_account_once_and_says_so(run_server, tmp_path):
    store = f"sqlite:///{tmp_path}/demo.sqlite"
    process, port, log = run_server("--store", store)
    status, body = get(port)
    assert status == 200
    assert '"title":"Buy groceries"' in body and '"title":"Learn Python"' in body
    stop(process)
    log.seek(0)
    assert "Created the demo account 'miguel'" in log.read()
    assert "Debug mode: off" in open(log.name).read()

    process, port, log = run_server("--store", store)
    assert get(port)[1].count('"title"') == 2   # not seeded twice
    log.seek(0)
    assert "Created the demo account" not in log.read()


@pytest.mark.slow
def test_run_without_the_demo(run_server, tmp_path):
    process, port, log = run_server("--store", f"sqlite:///{tmp_path}/x.sqlite", "--no-demo")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        get(port)
    assert excinfo.value.code == 401


@pytest.mark.slow
def test_store_option_wins_over_the_environment(run_server, tmp_path):
    process, port, log = run_server("--store", "memory://", env={"TODO_STORE": "mysql://nope"})
    assert get(port)[0] == 200


@pytest.mark.slow
@pytest.mark.parametrize("args, env, says", [
    (["--store", "mysql://localhost/todo"], {}, "unknown store URL"),
    ([], {"TODO_STORE": "redis://x"}, "unknown store URL"),
    (["--store", "sqlite:////proc/version/todo.sqlite"], {}, "cannot use SQLite database"),
    ([], {"TODO_AUTH_FAILURE_STATUS": "402"}, "TODO_AUTH_FAILURE_STATUS"),
])
def test_bad_settings_stop_the_start_with_one_line(tmp_path, args, env, says):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "run.py"), "--port",
                             str(free_port()), *args], capture_output=True, text=True,
                            cwd=tmp_path, env={**os.environ, **env}, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ") and says in result.stderr


def test_create_app_creates_no_accounts_by_default(tmp_path):
    app = create_app({"STORE": "memory://"})
    assert app.extensions["todo.store"].count_users() == 0


def test_todo_demo_seeds_like_run_py(monkeypatch):
    monkeypatch.setenv("TODO_DEMO", "1")
    app = create_app({"STORE": "memory://"})
    response = app.test_client().get(TASKS, headers=DEMO)
    assert [t["title"] for t in response.get_json()["tasks"]] == ["Buy groceries", "Learn Python"]


def test_the_default_store_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("TODO_STORE", raising=False)
    from flask import Flask
    from todo import config
    app = Flask("todo", instance_path=str(tmp_path / "instance"))
    config.load(app)
    assert app.config["STORE"] == f"sqlite:///{tmp_path}/instance/todo.sqlite"


def test_the_environment_configures_the_app(monkeypatch):
    monkeypatch.setenv("TODO_STORE", "memory://")
    monkeypatch.setenv("TODO_AUTH_FAILURE_STATUS", "403")
    app = create_app()
    assert app.config["STORE"] == "memory://"
    assert app.config["AUTH_FAILURE_STATUS"] == 403


@pytest.mark.parametrize("setting, value", [
    ("AUTH_FAILURE_STATUS", 500),
    ("STORE", 5),
    ("PG_POOL_SIZE", 0),
    ("TRUSTED_HOSTS", 5),
    ("PROXY_FIX", "two"),
    ("CREDENTIAL_CACHE_TTL", -1),
    ("REGISTRATION", "sometimes"),
    ("TOKEN_TTL", 0),
    ("TOKEN_TTL", True),
    ("LOGIN_FAILURES", "often"),
    ("HASH_CONCURRENCY", 0),
    ("RATELIMIT_STORAGE_URI", "nowhere://"),
])
def test_bad_settings_raise_config_error_naming_the_variable(setting, value):
    with pytest.raises(ConfigError, match=f"^TODO_{setting} "):
        create_app({"STORE": "memory://", setting: value})


def gunicorn_path():
    """The gunicorn of this virtual environment, else the one on PATH, else None."""
    beside = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    return beside if os.path.exists(beside) else shutil.which("gunicorn")


needs_gunicorn = pytest.mark.skipif(gunicorn_path() is None, reason="gunicorn not installed")


@pytest.mark.slow
@needs_gunicorn
def test_gunicorn_serves_the_factory(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TODO_TRUSTED_HOSTS"}
    with open(tmp_path / "gunicorn.log", "w+") as log:
        process = subprocess.Popen(
            [gunicorn_path(), "-w", "2", "-b", f"127.0.0.1:{port}", "todo:create_app()"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
            env={**env, "TODO_STORE": f"sqlite:///{tmp_path}/g.sqlite", "TODO_DEMO": "1"})
        try:
            wait_for_port(port, process)
            statuses = [get(port)[0] for _ in range(6)]
            assert statuses == [200] * 6
            assert get(port)[1].count('"title"') == 2   # two workers, one demo seed
        finally:
            stop(process)
        log.seek(0)
        # Each worker builds its app: one warning each, without TODO_TRUSTED_HOSTS.
        assert log.read().count("TODO_TRUSTED_HOSTS is not set") == 2


def readme_direct_command():
    """The README's gunicorn command for clients that connect directly, as argv."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = text.split("<!-- production-direct -->", 1)[1].split("```console\n$ ", 1)[1]
    return shlex.split(block.split("\n", 1)[0])


def idle_connection(port):
    """Connect to 127.0.0.1:port and send nothing."""
    return socket.create_connection(("127.0.0.1", port), timeout=5)


@pytest.mark.slow
@needs_gunicorn
def test_gunicorn_as_the_readme_runs_it_answers_beside_idle_connections(tmp_path):
    argv = readme_direct_command()
    assert argv[0] == "gunicorn" and "-b" in argv and "-w" in argv
    port = free_port()
    # Two workers, as in the two idle connections against `gunicorn -w 2`.
    argv[argv.index("-b") + 1] = f"127.0.0.1:{port}"
    argv[argv.index("-w") + 1] = "2"
    with open(tmp_path / "gunicorn.log", "w+") as log:
        process = subprocess.Popen(
            [gunicorn_path(), *argv[1:]], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "TODO_STORE": f"sqlite:///{tmp_path}/g.sqlite", "TODO_DEMO": "1",
                 "TODO_TRUSTED_HOSTS": "127.0.0.1"})
        idle = []
        try:
            wait_for_port(port, process)
            get(port)    # both workers up and serving
            idle = [idle_connection(port) for _ in range(2)]
            for _ in range(3):
                started = time.monotonic()
                assert get(port, timeout=5)[0] == 200
                assert time.monotonic() - started < 2
        finally:
            for sock in idle:
                sock.close()
            stop(process)


@pytest.mark.slow
def test_run_warns_once_without_trusted_hosts(run_server, monkeypatch):
    monkeypatch.delenv("TODO_TRUSTED_HOSTS", raising=False)
    process, port, log = run_server("--store", "memory://")
    assert get(port)[0] == 200
    log.seek(0)
    assert log.read().count("TODO_TRUSTED_HOSTS is not set") == 1

    process, port, log = run_server("--store", "memory://",
                                    env={"TODO_TRUSTED_HOSTS": "127.0.0.1"})
    assert get(port)[0] == 200
    log.seek(0)
    assert "TODO_TRUSTED_HOSTS" not in log.read()


def json_error(port, path, method="GET", data=None, headers=DEMO):
    """Send a request that fails; return its status and JSON body."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                     method=method, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    error = excinfo.value
    assert error.headers.get_content_type() == "application/json"
    return error.code, json.loads(error.read())


@pytest.mark.slow
def test_debug_keeps_the_reloader_and_serves_no_console(run_server):
    process, port, log = run_server("--store", "memory://", "--debug")
    assert get(port)[0] == 200
    for path in ("/console", "/console?__debugger__=yes&cmd=resource&f=style.css"):
        assert json_error(port, path) == (404, {"error": "Not found"})
    # Failing requests stay the API's JSON errors, not the debugger's HTML pages.
    status, body = json_error(port, TASKS, "POST", b'{"title": ',
                              {**DEMO, "Content-Type": "application/json"})
    assert status == 400 and body["error"] == "Bad request"
    assert json_error(port, f"{TASKS}/999") == (404, {"error": "Not found"})
    output = open(log.name).read()
    assert "Debug mode: on" in output and "Restarting with" in output   # the reloader
    assert "Debugger is active" not in output and "PIN" not in output
    stop(process)
    # The reloader's child went with its parent: nothing listens any more.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_in_debug_mode_a_bug_is_a_json_500():
    app = create_app({"STORE": "memory://", "DEBUG": True})

    def fail():
        raise RuntimeError("a bug")

    app.add_url_rule("/todo/api/v1.0/fail", "fail", fail)
    response = app.test_client().get("/todo/api/v1.0/fail")
    assert response.status_code == 500
    assert response.get_json() == {"error": "Internal server error"}
