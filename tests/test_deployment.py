"""Behind a reverse proxy, and with pinned host names."""

import pytest

from conftest import TASKS, basic, cheap_hash
from todo import create_app
from todo.config import ConfigError

DEMO = basic("miguel", "python")


def app_with(**settings):
    app = create_app({"STORE": "memory://", **settings})
    app.extensions["todo.store"].add_user("miguel", cheap_hash("python"))
    return app


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "todo.example.com",
             "X-Forwarded-For": "203.0.113.7"}


def test_behind_a_proxy_uris_use_the_public_scheme_and_host():
    client = app_with(PROXY_FIX=1).test_client()
    response = client.post(TASKS, json={"title": "t"}, headers={**DEMO, **FORWARDED})
    assert response.headers["Location"].startswith("https://todo.example.com/todo/api/v1.0/tasks/")
    assert response.get_json()["task"]["uri"] == response.headers["Location"]


def test_without_proxy_fix_forwarded_headers_are_not_trusted():
    client = app_with().test_client()
    response = client.post(TASKS, json={"title": "t"}, headers={**DEMO, **FORWARDED})
    assert response.headers["Location"].startswith("http://localhost/")


def test_proxy_fix_from_the_environment(monkeypatch):
    monkeypatch.setenv("TODO_PROXY_FIX", "2")
    assert create_app({"STORE": "memory://"}).config["PROXY_FIX"] == 2


@pytest.mark.parametrize("host", ["todo.example.com", "localhost"])
def test_pinned_hosts_are_served(host):
    client = app_with(TRUSTED_HOSTS="todo.example.com, localhost").test_client()
    assert client.get(TASKS, headers=DEMO, base_url=f"http://{host}").status_code == 200


@pytest.mark.parametrize("path", [TASKS, f"{TASKS}/1", "/nowhere"])
def test_other_hosts_get_a_json_400(path):
    client = app_with(TRUSTED_HOSTS="todo.example.com").test_client()
    response = client.get(path, headers=DEMO, base_url="http://evil.example")
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request",
                                   "message": "Host 'evil.example' is not trusted."}


def test_trusted_hosts_from_the_environment(monkeypatch):
    monkeypatch.setenv("TODO_TRUSTED_HOSTS", "a.example,b.example")
    assert create_app({"STORE": "memory://"}).config["TRUSTED_HOSTS"] == ["a.example", "b.example"]


@pytest.mark.parametrize("settings", [{"PROXY_FIX": "yes"}, {"PROXY_FIX": -1},
                                      {"PROXY_FIX": True}, {"TRUSTED_HOSTS": 5}])
def test_bad_deployment_settings_are_refused(settings):
    with pytest.raises(ConfigError):
        create_app({"STORE": "memory://", **settings})
