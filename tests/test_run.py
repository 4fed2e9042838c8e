"""Starting the service: run.py, create_app's settings, and gunicorn."""

import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

from conftest import ROOT, TASKS, basic, free_port, stop, wait_for_port
from todo import create_app
from todo.config import ConfigError

DEMO = basic("miguel", "python")


def get(port, path=TASKS, headers=DEMO):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


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


def test_run_without_the_demo(run_server, tmp_path):
    process, port, log = run_server("--store", f"sqlite:///{tmp_path}/x.sqlite", "--no-demo")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        get(port)
    assert excinfo.value.code == 401


def test_store_option_wins_over_the_environment(run_server, tmp_path):
    process, port, log = run_server("--store", "memory://", env={"TODO_STORE": "mysql://nope"})
    assert get(port)[0] == 200


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


def test_bad_settings_raise_config_error():
    with pytest.raises(ConfigError):
        create_app({"STORE": "memory://", "AUTH_FAILURE_STATUS": 500})


@pytest.mark.skipif(shutil.which("gunicorn") is None and not os.path.exists(
    os.path.join(os.path.dirname(sys.executable), "gunicorn")), reason="gunicorn not installed")
def test_gunicorn_serves_the_factory(tmp_path):
    port = free_port()
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    if not os.path.exists(gunicorn):
        gunicorn = shutil.which("gunicorn")
    process = subprocess.Popen(
        [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "todo:create_app()"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TODO_STORE": f"sqlite:///{tmp_path}/g.sqlite", "TODO_DEMO": "1"})
    try:
        wait_for_port(port, process)
        statuses = [get(port)[0] for _ in range(6)]
        assert statuses == [200] * 6
        assert get(port)[1].count('"title"') == 2   # two workers, one demo seed
    finally:
        stop(process)
