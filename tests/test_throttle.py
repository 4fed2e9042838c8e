"""Failed logins are throttled per client address and per username."""

import base64
import time

import pytest

from conftest import TASKS, basic, cheap_hash
from todo import create_app
from todo.config import ConfigError

WRONG = basic("alice", "wrong")


@pytest.fixture
def limited(monkeypatch):
    monkeypatch.setenv("TODO_LOGIN_FAILURES", "3/minute")
    app = create_app({"STORE": "memory://"})
    for name in ("alice", "bob"):
        app.extensions["todo.store"].add_user(name, cheap_hash(f"{name}-secret"))
    return app


def get(app, headers, address="192.0.2.1"):
    return app.test_client().get(TASKS, headers=headers,
                                 environ_overrides={"REMOTE_ADDR": address})


def test_a_burst_of_failures_is_answered_429_with_retry_after(limited):
    assert [get(limited, WRONG).status_code for _ in range(3)] == [401] * 3
    response = get(limited, WRONG)
    assert response.status_code == 429
    assert response.get_json() == {"error": "Too many requests",
                                   "message": "Too many failed logins; try again later"}
    assert 0 < int(response.headers["Retry-After"]) <= 61   # the window, rounded up
    # Even the right password waits now: that is what stops guessing.
    assert get(limited, basic("alice", "alice-secret")).status_code == 429


def test_successful_logins_do_not_count(limited):
    for _ in range(10):
        assert get(limited, basic("alice", "alice-secret")).status_code == 200
    assert get(limited, WRONG).status_code == 401


def test_the_count_is_per_address(limited):
    for _ in range(3):
        get(limited, basic("nobody", "x"), address="192.0.2.1")
    assert get(limited, basic("bob", "bob-secret"), address="192.0.2.1").status_code == 429
    assert get(limited, basic("bob", "bob-secret"), address="192.0.2.2").status_code == 200


def test_the_count_is_per_username_across_addresses(limited):
    for i in range(3):
        get(limited, WRONG, address=f"198.51.100.{i}")
    assert get(limited, basic("alice", "alice-secret"), address="198.51.100.9").status_code == 429
    assert get(limited, basic("bob", "bob-secret"), address="198.51.100.9").status_code == 200


def test_a_username_that_is_not_utf8_is_counted_under_the_name_checked(limited):
    # Flask-HTTPAuth reads such a name as latin-1; the failures must count under that name.
    latin1 = {"Authorization": "Basic " + base64.b64encode("jos\xe9:x".encode("latin-1")).decode()}
    for i in range(3):
        assert get(limited, latin1, address=f"203.0.113.{i}").status_code == 401
    assert get(limited, latin1, address="203.0.113.9").status_code == 429


def test_wrong_tokens_count_per_address(limited):
    for _ in range(3):
        assert get(limited, {"Authorization": "Bearer not-a-token"}).status_code == 401
    assert get(limited, basic("bob", "bob-secret")).status_code == 429
    assert get(limited, basic("bob", "bob-secret"), address="192.0.2.2").status_code == 200


def test_the_window_passes(limited, monkeypatch):
    for _ in range(3):
        get(limited, WRONG)
    assert get(limited, basic("alice", "alice-secret")).status_code == 429
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert get(limited, basic("alice", "alice-secret")).status_code == 200


def test_open_routes_are_not_throttled(limited):
    for _ in range(4):
        get(limited, WRONG)
    client = limited.test_client()
    assert client.get("/todo/api/v1.0/openapi.json",
                      environ_overrides={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200


def test_an_empty_setting_turns_throttling_off(monkeypatch):
    monkeypatch.setenv("TODO_LOGIN_FAILURES", "")
    app = create_app({"STORE": "memory://"})
    assert {get(app, WRONG).status_code for _ in range(20)} == {401}


def test_a_bad_setting_is_refused():
    with pytest.raises(ConfigError):
        create_app({"STORE": "memory://", "LOGIN_FAILURES": "lots"})
