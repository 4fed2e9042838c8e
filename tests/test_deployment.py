"""Behind a reverse proxy, and with pinned host names."""

import json
import logging
import os
import re
import shlex
import socket

import pytest
from flask import request

from support import ROOT, TASKS, basic, cheap_hash
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


# -- The Host header -------------------------------------------------------------------

MALFORMED_HOSTS = ["", "a/b", "todo.example.com/x", "user@todo.example.com", '"x"', "a b",
                   "localhost:99999"]
HOST_MESSAGE = "The Host header must be a host name or address, with an optional port"


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
@pytest.mark.parametrize("path", [TASKS, f"{TASKS}/1", "/nowhere"])
def test_a_malformed_host_is_a_json_400(host, path):
    client = app_with().test_client()
    response = client.get(path, headers=DEMO, environ_overrides={"HTTP_HOST": host})
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request", "message": HOST_MESSAGE}


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
def test_a_malformed_host_stores_nothing(host):
    app = app_with()
    response = app.test_client().post(TASKS, json={"title": "t"}, headers=DEMO,
                                      environ_overrides={"HTTP_HOST": host})
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert app.test_client().get(TASKS, headers=DEMO).get_json()["tasks"] == []


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:8000", "[::1]:5000",
                                  "Todo.Example.com"])
def test_well_formed_hosts_are_served(host):
    client = app_with().test_client()
    response = client.get(TASKS, headers=DEMO, environ_overrides={"HTTP_HOST": host})
    assert response.status_code == 200


@pytest.mark.parametrize("host", ["a/b", '"x"', ""])
def test_a_malformed_host_is_a_400_with_pinned_hosts_too(host):
    client = app_with(TRUSTED_HOSTS="todo.example.com").test_client()
    response = client.get(TASKS, headers=DEMO, environ_overrides={"HTTP_HOST": host})
    assert response.status_code == 400
    assert response.get_json()["error"] == "Bad request"


def test_a_malformed_forwarded_host_is_a_400():
    client = app_with(PROXY_FIX=1).test_client()
    response = client.post(TASKS, json={"title": "t"},
                           headers={**DEMO, "X-Forwarded-Host": "evil.example/x"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "Bad request", "message": HOST_MESSAGE}


def raw_request(port, head):
    """Send ``head`` on a fresh connection to 127.0.0.1:port; return the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("latin-1")


@pytest.mark.slow
def test_an_empty_host_over_the_wire_is_a_json_400(run_server):
    process, port, log = run_server("--store", "memory://")
    answer = raw_request(port, f"GET {TASKS} HTTP/1.1\r\nHost: \r\n"
                               f"Authorization: {DEMO['Authorization']}\r\n"
                               "Connection: close\r\n\r\n")
    status, _, rest = answer.partition("\r\n")
    assert status.split(" ")[1] == "400"
    head, _, body = rest.partition("\r\n\r\n")
    assert "content-type: application/json" in head.lower()
    assert json.loads(body) == {"error": "Bad request", "message": HOST_MESSAGE}
    # HTTP/1.0 needs no Host: the server's own address stands in, as before.
    answer = raw_request(port, f"GET {TASKS} HTTP/1.0\r\n"
                               f"Authorization: {DEMO['Authorization']}\r\n\r\n")
    assert answer.split(" ")[1] == "200"
    assert f'"uri":"http://127.0.0.1:{port}/todo/api/v1.0/tasks/1"' in answer


# -- The warning without TODO_TRUSTED_HOSTS ---------------------------------------------

def host_warnings(records):
    return [r for r in records if "TODO_TRUSTED_HOSTS" in r.getMessage()]


def test_without_trusted_hosts_each_app_warns_once(caplog, monkeypatch):
    monkeypatch.delenv("TODO_TRUSTED_HOSTS", raising=False)
    with caplog.at_level(logging.WARNING):
        app_with()
        app_with()
    warnings = host_warnings(caplog.records)
    assert len(warnings) == 2 and {w.levelno for w in warnings} == {logging.WARNING}
    assert "any Host header is accepted" in warnings[0].getMessage()


def test_with_trusted_hosts_there_is_no_warning(caplog, monkeypatch):
    monkeypatch.setenv("TODO_TRUSTED_HOSTS", "todo.example.com")
    with caplog.at_level(logging.WARNING):
        app_with()
    assert host_warnings(caplog.records) == []


# -- Which X-Forwarded-* headers are trusted ---------------------------------------------

def remote_addr_app(**settings):
    """An app with one extra route that answers the client address it sees."""
    app = app_with(**settings)
    app.add_url_rule("/whoami", "whoami", lambda: request.remote_addr)
    return app


@pytest.mark.parametrize("settings, expected", [
    ({}, "127.0.0.1"), ({"PROXY_FIX": 1}, "203.0.113.7"),
])
def test_x_forwarded_for_is_trusted_with_proxy_fix_only(settings, expected):
    client = remote_addr_app(**settings).test_client()
    response = client.get("/whoami", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.get_data(as_text=True) == expected


@pytest.mark.parametrize("settings, header, value, location", [
    ({}, "X-Forwarded-Proto", "https", "http://localhost/"),
    ({"PROXY_FIX": 1}, "X-Forwarded-Proto", "https", "https://localhost/"),
    ({}, "X-Forwarded-Host", "todo.example.com", "http://localhost/"),
    ({"PROXY_FIX": 1}, "X-Forwarded-Host", "todo.example.com", "http://todo.example.com/"),
    ({"PROXY_FIX": 1}, "X-Forwarded-Port", "8443", "http://localhost/"),
    ({"PROXY_FIX": 1, "PROXY_FIX_PORT": 1}, "X-Forwarded-Port", "8443", "http://localhost:8443/"),
    ({"PROXY_FIX": 1}, "X-Forwarded-Prefix", "//evil.example/x", "http://localhost/todo/"),
    ({"PROXY_FIX": 1, "PROXY_FIX_PREFIX": 1}, "X-Forwarded-Prefix", "/app",
     "http://localhost/app/todo/"),
    ({"PROXY_FIX_PREFIX": 1}, "X-Forwarded-Prefix", "/app", "http://localhost/app/todo/"),
])
def test_each_forwarded_header_is_trusted_only_when_counted(settings, header, value, location):
    client = app_with(**settings).test_client()
    response = client.post(TASKS, json={"title": "t"}, headers={**DEMO, header: value})
    assert response.status_code == 201
    assert response.headers["Location"].startswith(location)
    assert response.get_json()["task"]["uri"] == response.headers["Location"]


def test_a_clients_forwarded_prefix_never_reaches_location():
    client = app_with(PROXY_FIX=1).test_client()
    response = client.post(TASKS, json={"title": "t"},
                           headers={**DEMO, **FORWARDED, "X-Forwarded-Prefix": "//evil.example/x",
                                    "X-Forwarded-Port": "1"})
    assert response.headers["Location"] == "https://todo.example.com/todo/api/v1.0/tasks/1"


@pytest.mark.parametrize("name", ["PROXY_FIX_PORT", "PROXY_FIX_PREFIX"])
def test_port_and_prefix_counts_from_the_environment(monkeypatch, name):
    monkeypatch.setenv(f"TODO_{name}", "2")
    assert create_app({"STORE": "memory://"}).config[name] == 2


@pytest.mark.parametrize("name", ["PROXY_FIX_PORT", "PROXY_FIX_PREFIX"])
@pytest.mark.parametrize("value", ["yes", -1, True, 1.5])
def test_bad_port_and_prefix_counts_are_refused(name, value):
    with pytest.raises(ConfigError, match=f"TODO_{name}"):
        create_app({"STORE": "memory://", name: value})


# -- The README's proxy setup, as nginx would apply it -----------------------------------

def readme_section(title):
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return text.split(f"\n{title}\n", 1)[1].split("\n#", 1)[0]


def readme_proxy_setup():
    """Return the settings of the README's proxied gunicorn command and its nginx lines."""
    section = readme_section("### Behind a reverse proxy")
    command = section.split("<!-- behind-a-proxy -->", 1)[1].split("```console\n$ ", 1)[1]
    command = command.split("\n", 1)[0]
    settings = {}
    for word in shlex.split(command):
        if "=" not in word or not word.startswith("TODO_"):
            break
        name, value = word[len("TODO_"):].split("=", 1)
        settings[name] = int(value) if value.isdigit() else value
    nginx = section.split("```nginx\n", 1)[1].split("\n```", 1)[0]
    headers = dict(re.findall(r'^\s*proxy_set_header\s+(\S+)\s+(\S+);$', nginx, re.M))
    return settings, headers


def through_nginx(client_headers, set_headers, client_addr):
    """The headers nginx passes on for a request over https, per proxy_set_header."""
    values = {"$host": client_headers["Host"], "$scheme": "https",
              "$proxy_add_x_forwarded_for": ", ".join(
                  filter(None, [client_headers.get("X-Forwarded-For"), client_addr]))}
    passed = {k: v for k, v in client_headers.items()
              if k.lower() not in {h.lower() for h in set_headers}}
    for name, value in set_headers.items():
        value = values.get(value, value)
        if value != '""':        # an empty value: nginx drops the header
            passed[name] = value
    return passed


def test_the_readmes_nginx_block_sets_or_clears_every_forwarded_header():
    settings, headers = readme_proxy_setup()
    assert settings["PROXY_FIX"] == 1 and settings["TRUSTED_HOSTS"]
    assert {"Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
            "X-Forwarded-Port", "X-Forwarded-Prefix"} <= set(headers)


def test_behind_the_readmes_proxy_forged_headers_change_nothing():
    settings, set_headers = readme_proxy_setup()
    host = settings["TRUSTED_HOSTS"]
    forged = {"Host": host, "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "gopher",
              "X-Forwarded-Port": "6666", "X-Forwarded-Prefix": "//evil.example/x",
              "X-Forwarded-For": "10.6.6.6"}
    app = remote_addr_app(**settings)
    passed = through_nginx(forged, set_headers, client_addr="203.0.113.7")
    client = app.test_client()
    response = client.post(TASKS, json={"title": "t"}, headers={**DEMO, **passed},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 201
    assert response.headers["Location"] == f"https://{host}/todo/api/v1.0/tasks/1"
    whoami = client.get("/whoami", headers=passed, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert whoami.get_data(as_text=True) == "203.0.113.7"
