"""The app's logs: one structured line per request, request ids, and never a secret."""

import base64
import io
import json
import logging
import re
import time
import urllib.request

import pytest

from openapi_check import CheckedClient
from support import PASSWORDS, TASKS, basic, cheap_hash
from todo import create_app
from todo.config import ConfigError
from todo.credentials import token_hash
from todo.logs import HANDLER, LOGGER
from todo.store import StoreUnavailable

USERS = "/todo/api/v1.0/users"
TOKENS = "/todo/api/v1.0/tokens"
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_output():
    """Everything the app's log handler writes while the test runs, as a StringIO."""
    create_app({"STORE": "memory://"})   # the first app of the process adds the handler
    handler = next(h for h in logging.getLogger(LOGGER).handlers if h.get_name() == HANDLER)
    output = io.StringIO()
    before = handler.setStream(output)
    yield output
    handler.setStream(before)


def make_app(tmp_path, **settings):
    app = create_app({"TESTING": True, "STORE": f"sqlite:///{tmp_path}/todo.sqlite", **settings})
    app.test_client_class = CheckedClient
    for name, password in PASSWORDS.items():
        app.extensions["todo.store"].add_user(name, cheap_hash(password))
    return app


def lines(output, logger="todo.access"):
    """The JSON lines written so far during requests, those of ``logger`` only."""
    found = [json.loads(line) for line in output.getvalue().splitlines()]
    return [line for line in found if line["logger"] == logger and "request_id" in line]


def test_one_json_line_per_request_with_its_fields(tmp_path, log_output):
    app = make_app(tmp_path)
    client = app.test_client()
    alice = basic("alice", PASSWORDS["alice"])
    task = client.post(TASKS, json={"title": "t"}, headers=alice).get_json()["task"]
    response = client.get(task["uri"], headers=alice)
    client.get("/no/such/url")
    first, second, unknown = lines(log_output)
    assert first["method"] == "POST" and first["route"] == TASKS and first["status"] == 201
    assert second == {
        "time": second["time"], "level": "info", "logger": "todo.access",
        "request_id": response.headers["X-Request-ID"], "method": "GET",
        "route": TASKS + "/<id:id>", "status": 200, "duration_ms": second["duration_ms"],
        "user_id": app.extensions["todo.store"].get_user("alice")["id"],
        "bytes": len(response.data), "message": f"GET {TASKS}/<id:id> 200"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", second["time"])
    assert 0 < second["duration_ms"] < 10_000
    # No ids from the path: the route template, or nothing for an unknown URL.
    assert unknown["route"] is None and unknown["status"] == 404 and unknown["user_id"] is None
    assert "/no/such/url" not in log_output.getvalue()


def test_a_request_id_comes_back_and_a_well_formed_one_is_kept(client):
    response = client.get("/livez", headers={"X-Request-ID": "lb-7f3a:2.1_x"})
    assert response.headers["X-Request-ID"] == "lb-7f3a:2.1_x"
    assert GENERATED.fullmatch(client.get("/livez").headers["X-Request-ID"])


@pytest.mark.parametrize("presented", ["x" * 129, "two words", "<script>", "a\"b", "", "é"])
def test_a_malformed_request_id_is_replaced(client, presented):
    response = client.get("/livez", headers={"X-Request-ID": presented})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_every_error_line_carries_the_request_id(tmp_path, log_output, monkeypatch):
    app = make_app(tmp_path)
    monkeypatch.setattr(app.extensions["todo.store"], "find_tasks", unavailable)
    client = app.test_client()
    response = client.get(TASKS, headers={**basic("alice", PASSWORDS["alice"]),
                                          "X-Request-ID": "req-42"})
    assert response.status_code == 503
    warning, = lines(log_output, "todo")
    assert warning["level"] == "warning" and warning["request_id"] == "req-42"
    assert "store unavailable" in warning["message"]
    assert lines(log_output)[0]["request_id"] == "req-42"


def unavailable(*args, **kwargs):
    raise StoreUnavailable("the disk is on fire")


def test_a_bug_is_one_json_line_with_its_traceback_and_request_id(tmp_path, log_output,
                                                                  monkeypatch):
    app = make_app(tmp_path)
    monkeypatch.setattr(app.extensions["todo.store"], "find_tasks", lambda *a, **k: 1 / 0)
    response = app.test_client().get(TASKS, headers={**basic("alice", PASSWORDS["alice"]),
                                                     "X-Request-ID": "req-500"})
    assert response.status_code == 500
    error, = lines(log_output, "todo")
    assert error["level"] == "error" and error["request_id"] == "req-500"
    assert "ZeroDivisionError" in error["exception"]


def test_text_is_logfmt_with_client_text_quoted(tmp_path, log_output):
    app = make_app(tmp_path, LOG_FORMAT="text")
    client = app.test_client()
    client.get("/livez")
    client.open("/livez", method="BREW")   # no route matched: no route field
    ok, refused = log_output.getvalue().splitlines()[-2:]
    assert re.fullmatch(r'time=\S+Z level=info logger=todo.access request_id=[0-9a-f]{32} '
                        r'method=GET route=/livez status=200 duration_ms=[\d.]+ bytes=16 '
                        r'message="GET /livez 200"', ok), ok
    assert " route=" not in refused and 'message="BREW - 405"' in refused


def test_the_level_setting_silences_the_access_log(tmp_path, log_output):
    make_app(tmp_path, LOG_LEVEL="warning").test_client().get("/livez")
    assert lines(log_output) == []


@pytest.mark.parametrize("setting, value", [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "chatty"),
                                            ("LOG_LEVEL", 10)])
def test_log_settings_are_checked(setting, value):
    with pytest.raises(ConfigError, match=f"TODO_{setting} must be"):
        create_app({"STORE": "memory://", setting: value})


def test_no_log_ever_holds_a_password_a_token_a_hash_or_the_authorization_header(
        tmp_path, log_output, caplog):
    """Log in every way there is, right and wrong, at DEBUG, and scan every line logged."""
    caplog.set_level(logging.DEBUG)
    app = make_app(tmp_path, LOG_LEVEL="DEBUG", REGISTRATION="open", LOGIN_FAILURES="3/minute",
                   METRICS=True)
    client = app.test_client()
    store = app.extensions["todo.store"]
    alice = basic("alice", PASSWORDS["alice"])
    secrets = {PASSWORDS["alice"], PASSWORDS["bob"], "carol-first-pw", "carol-second-pw",
               "wrong-password-1", "wrong-password-2"}
    sent = []

    def send(method, path, headers=None, **kwargs):
        sent.extend(value for name, value in (headers or {}).items() if name == "Authorization")
        return client.open(path, method=method, headers=headers, **kwargs)

    assert send("GET", TASKS, alice).status_code == 200                              # Basic
    assert send("GET", TASKS, basic("bob", "wrong-password-1")).status_code == 401   # wrong
    assert send("GET", TASKS, basic("nobody", "wrong-password-2")).status_code == 401
    token = send("POST", TOKENS, alice).get_json()["token"]                          # a token
    assert send("GET", TASKS, {"Authorization": f"Bearer {token}"}).status_code == 200
    assert send("GET", TASKS, {"Authorization": f"Bearer {token}x"}).status_code == 401
    assert send("DELETE", TOKENS, {"Authorization": f"Bearer {token}"}).status_code == 200
    registered = send("POST", USERS, json={"username": "carol", "password": "carol-first-pw"})
    assert registered.status_code == 201
    carol_id = store.get_user("carol")["id"]
    assert send("PUT", f"{USERS}/{carol_id}", basic("carol", "carol-first-pw"),
                json={"password": "carol-second-pw"}).status_code == 200            # new password
    assert send("GET", TASKS, basic("carol", "carol-second-pw")).status_code == 200
    for _ in range(4):   # into the throttle
        send("GET", TASKS, basic("alice", "wrong-password-1"))
    assert send("GET", TASKS, basic("alice", "wrong-password-1")).status_code == 429
    assert send("GET", TASKS, {"Authorization": "Basic !!not base64"}).status_code == 401
    send("GET", "/metrics")

    secrets |= {token, token_hash(token), *sent,
                *(base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in
                  [("alice", PASSWORDS["alice"]), ("carol", "carol-second-pw")])}
    secrets |= {user["password_hash"] for user in store.list_users()}
    logged = log_output.getvalue() + "\n".join(
        record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert len(lines(log_output)) >= 15
    assert [secret for secret in secrets if secret in logged] == []
    assert "authorization" not in logged.lower()


@pytest.mark.slow
def test_run_py_logs_readable_text_once_per_request(run_server):
    process, port, log = run_server("--store", "memory://", "--no-demo")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=10) as response:
        request_id = response.headers["X-Request-ID"]
    deadline = time.monotonic() + 10
    while f"request_id={request_id}" not in open(log.name).read():
        assert time.monotonic() < deadline, open(log.name).read()
        time.sleep(0.05)
    output = open(log.name).read()
    assert re.search(r"level=info logger=todo.access request_id=\S+ method=GET route=/livez "
                     r"status=200 ", output), output
    assert "HTTP/1.1" not in output   # Werkzeug's own line for the request is left out
    assert "Running on http://127.0.0.1" in output   # its banner is not
