"""The login throttle bounds guessing, and can't be turned against the people it protects."""

import base64
import concurrent.futures
import http.client
import json
import time

import pytest

from support import TASKS, basic, cheap_hash
from todo import create_app
from todo.clock import ManualClock, system_clock
from todo.config import ConfigError

TOKENS = "/todo/api/v1.0/tokens"
USERS = "/todo/api/v1.0/users"
WRONG = basic("alice", "wrong")
RIGHT = basic("alice", "alice-secret")


def limited_app(clock=system_clock, **settings):
    config = {"STORE": "memory://", "LOGIN_FAILURES": "3/minute",
              "LOGIN_FAILURES_PER_ADDRESS": "5/minute", **settings}
    app = create_app(config, clock=clock)
    for name in ("alice", "bob", "carol"):
        app.extensions["todo.store"].add_user(name, cheap_hash(f"{name}-secret"))
    return app


@pytest.fixture
def limited():
    """An app allowing 3 failures per (username, address) and 5 per address, a minute."""
    return limited_app()


def get(app, headers, address="192.0.2.1", path=TASKS):
    return app.test_client().get(path, headers=headers, environ_overrides={"REMOTE_ADDR": address})


def test_a_burst_of_failures_is_answered_429_with_retry_after(limited):
    assert [get(limited, WRONG).status_code for _ in range(3)] == [401] * 3
    response = get(limited, WRONG)
    assert response.status_code == 429
    assert response.get_json() == {"error": "Too many requests",
                                   "message": "Too many failed logins; try again later"}
    assert 0 < int(response.headers["Retry-After"]) <= 61   # the window, rounded up
    # From where the guessing came, the password is not checked again, right or not.
    assert get(limited, RIGHT).status_code == 429


def test_successful_logins_do_not_count(limited):
    limited.extensions["todo.logins"].cache.ttl = 0   # every login is a real check
    for _ in range(10):
        assert get(limited, RIGHT).status_code == 200
    assert get(limited, WRONG).status_code == 401


MISSING_OR_GARBLED = {
    "no header": {},
    "empty header": {"Authorization": ""},
    "scheme alone": {"Authorization": "Basic"},
    "not base64": {"Authorization": "Basic !!!not-base64!!!"},
    "no colon": {"Authorization": "Basic YWxpY2U="},
    "another scheme": {"Authorization": "Foo " + base64.b64encode(b"alice:wrong").decode()},
    "surplus padding": {"Authorization": "Basic " + base64.b64encode(b"alice:wrong!").decode()
                        + "="},
}


@pytest.mark.parametrize("headers", MISSING_OR_GARBLED.values(), ids=MISSING_OR_GARBLED.keys())
def test_missing_or_garbled_credentials_are_never_counted_and_cost_no_hash(
        limited, hash_checks, headers):
    assert {get(limited, headers).status_code for _ in range(20)} == {401}
    assert hash_checks.calls == 0
    assert get(limited, RIGHT).status_code == 200


def test_nobody_locks_the_owner_out_from_elsewhere(limited):
    # Every stranger's address gets its own three tries at alice, and no more...
    for i in range(10):
        statuses = [get(limited, WRONG, address=f"198.51.100.{i}").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
    # ...while alice, from where she is, gets in with her password, and gets a token.
    assert get(limited, RIGHT, address="203.0.113.7").status_code == 200
    response = limited.test_client().post(TOKENS, headers=RIGHT,
                                          environ_overrides={"REMOTE_ADDR": "203.0.113.8"})
    assert response.status_code == 200


def test_the_owner_is_known_again_by_the_cache_even_from_a_failing_address(limited):
    assert get(limited, RIGHT).status_code == 200      # verified, and remembered
    for _ in range(3):
        get(limited, WRONG)
    assert get(limited, WRONG).status_code == 429
    # The right password proven a moment ago costs no check, so it is not refused.
    assert get(limited, RIGHT).status_code == 200


def test_each_address_has_a_ceiling_across_usernames(limited):
    guesses = [basic(name, "wrong") for name in ("alice", "bob", "carol", "dave", "erin")]
    assert [get(limited, headers).status_code for headers in guesses] == [401] * 5
    assert get(limited, basic("frank", "wrong")).status_code == 429
    assert get(limited, basic("bob", "bob-secret")).status_code == 429
    assert get(limited, basic("bob", "bob-secret"), address="192.0.2.2").status_code == 200


def test_a_username_counts_whatever_its_case(limited):
    for name in ("alice", "ALICE", "Alice"):
        assert get(limited, basic(name, "wrong")).status_code == 401
    assert get(limited, basic("aLiCe", "wrong")).status_code == 429


def test_a_username_that_is_not_utf8_is_counted_like_any_other(limited):
    latin1 = {"Authorization": "Basic " + base64.b64encode("jos\xe9:x".encode("latin-1")).decode()}
    assert [get(limited, latin1).status_code for _ in range(4)] == [401, 401, 401, 429]


def test_wrong_tokens_count_per_address_and_right_ones_still_pass(limited):
    token = limited.test_client().post(TOKENS, headers=RIGHT).get_json()["token"]
    for _ in range(5):
        assert get(limited, {"Authorization": "Bearer not-a-token"}).status_code == 401
    assert get(limited, {"Authorization": "Bearer not-a-token"}).status_code == 429
    assert get(limited, basic("bob", "bob-secret")).status_code == 429
    assert get(limited, {"Authorization": f"Bearer {token}"}).status_code == 200
    assert get(limited, basic("bob", "bob-secret"), address="192.0.2.2").status_code == 200


def test_account_changes_count_like_any_login(limited):
    client = limited.test_client()
    user = "/todo/api/v1.0/users/1"
    for _ in range(3):
        assert client.delete(user, headers=WRONG).status_code == 401
    assert client.delete(user, headers=RIGHT).status_code == 429
    assert limited.extensions["todo.store"].get_user("alice") is not None


def test_the_window_passes(monkeypatch):
    clock = ManualClock(time.time())
    limited = limited_app(clock=clock)
    for _ in range(3):
        get(limited, WRONG)
    assert get(limited, RIGHT).status_code == 429
    clock.advance(61)
    # The limits library times its windows by time.time and takes no clock: only
    # patching that makes its window pass.  Our own code reads the app's clock.
    monkeypatch.setattr(time, "time", clock)
    assert get(limited, RIGHT).status_code == 200


def test_retry_after_is_counted_by_the_clock_the_app_is_given():
    clock = ManualClock(time.time())
    limited = limited_app(clock=clock)
    for _ in range(3):
        get(limited, WRONG)
    first = int(get(limited, RIGHT).headers["Retry-After"])
    clock.advance(30)
    assert int(get(limited, RIGHT).headers["Retry-After"]) == first - 30


def test_open_routes_are_not_throttled(limited):
    for _ in range(6):
        get(limited, WRONG)
    client = limited.test_client()
    assert client.get("/todo/api/v1.0/openapi.json",
                      environ_overrides={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200


@pytest.mark.slow
def test_an_empty_setting_turns_throttling_off():
    app = create_app({"STORE": "memory://", "LOGIN_FAILURES": ""})
    assert {get(app, WRONG).status_code for _ in range(20)} == {401}


@pytest.mark.parametrize("name, value", [
    ("LOGIN_FAILURES", "lots"), ("LOGIN_FAILURES_PER_ADDRESS", "7/fortnight"),
    ("LOGIN_FAILURES_PER_ADDRESS", ""), ("REGISTRATIONS", "many"),
    ("RATELIMIT_STORAGE_URI", "carrier-pigeon://x"), ("HASH_CONCURRENCY", 0),
])
def test_a_bad_setting_is_refused(name, value):
    with pytest.raises(ConfigError, match=f"TODO_{name}"):
        create_app({"STORE": "memory://", name: value})


# -- concurrency: the slot is taken before the hash runs ----------------------

def wrong_password(port, headers=None):
    """Send one wrong password for miguel to 127.0.0.1:port; return the status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", TASKS, headers=headers or basic("miguel", "wrong"))
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.real_password_hashes   # guesses stay in flight while each scrypt check runs
def test_concurrent_guesses_do_not_get_past_the_bound(run_server):
    # The threaded development server, 25 guesses in flight at once, 10 allowed.
    _, port, _ = run_server("--store", "memory://",
                            env={"TODO_LOGIN_FAILURES": "10/minute",
                                 "TODO_LOGIN_FAILURES_PER_ADDRESS": "100/minute"})
    with concurrent.futures.ThreadPoolExecutor(25) as pool:
        statuses = list(pool.map(lambda _: wrong_password(port), range(25)))
    assert statuses.count(401) == 10
    assert statuses.count(429) == 15


@pytest.mark.slow
@pytest.mark.real_password_hashes   # each check takes scrypt's time: many are in flight at once
def test_concurrent_guesses_at_many_usernames_do_not_get_past_the_address_ceiling(run_server):
    # 40 guesses in flight at once from one address, each at a username of its own:
    # no (username, address) bound is reached, so only the address's ceiling holds them.
    _, port, _ = run_server("--store", "memory://",
                            env={"TODO_LOGIN_FAILURES": "100/minute",
                                 "TODO_LOGIN_FAILURES_PER_ADDRESS": "10/minute"})
    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(lambda i: wrong_password(port, basic(f"user{i}", "wrong")),
                                 range(40)))
    # Each 401 cost one password check (a dummy hash: no such user); a 429, none.
    assert statuses.count(401) == 10
    assert statuses.count(429) == 30


@pytest.mark.slow
# Real scrypt checks keep each worker busy long enough that both take guesses (with a
# cheap hash, one worker can answer all 16, and then "memory" cannot show its two counts).
@pytest.mark.real_password_hashes
@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
def test_a_shared_storage_makes_the_bound_hold_across_workers(shared, request, tmp_path):
    from servers import Gunicorn
    storage = request.getfixturevalue("redis_url") if shared else "memory://"
    server = Gunicorn("memory://", 2, tmp_path, env={
        "TODO_DEMO": "1", "TODO_LOGIN_FAILURES": "4/minute",
        "TODO_LOGIN_FAILURES_PER_ADDRESS": "100/minute", "TODO_RATELIMIT_STORAGE_URI": storage})
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: wrong_password(server.port), range(16)))
    finally:
        server.stop()
    if shared:
        assert statuses.count(401) == 4      # the bound, not 4 per worker
        assert statuses.count(429) == 12
    else:
        assert statuses.count(401) > 4       # each worker counted on its own


# -- registration ------------------------------------------------------------

@pytest.fixture
def registering():
    return create_app({"STORE": "memory://", "REGISTRATION": "open", "REGISTRATIONS": "3/hour"})


def register(app, username, password="long enough", address="192.0.2.1"):
    return app.test_client().post(USERS, json={"username": username, "password": password},
                                  environ_overrides={"REMOTE_ADDR": address})


def test_registrations_are_bounded_per_address(registering):
    assert [register(registering, name).status_code for name in ("amy", "ben")] == [201, 201]
    assert register(registering, "amy").status_code == 409      # a name found taken counts
    response = register(registering, "cid")
    assert response.status_code == 429
    assert response.get_json()["message"] == "Too many registrations from here; try again later"
    assert int(response.headers["Retry-After"]) > 0
    assert registering.extensions["todo.store"].get_user("cid") is None
    assert register(registering, "cid", address="192.0.2.2").status_code == 201


def test_refused_input_does_not_count_as_a_registration(registering):
    for _ in range(10):
        assert register(registering, "a:b").status_code == 400
        assert register(registering, "dan", password="short").status_code == 400
    assert [register(registering, name).status_code for name in ("amy", "ben", "cid")] == [201] * 3


def test_concurrent_registrations_hash_a_bounded_number_at_once(monkeypatch):
    import todo.credentials as credentials
    app = create_app({"STORE": "memory://", "REGISTRATION": "open", "REGISTRATIONS": "",
                      "HASH_CONCURRENCY": 2})
    state = {"now": 0, "most": 0}

    def slow_hash(password, method):
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)
        state["now"] -= 1
        return cheap_hash(password)
    monkeypatch.setattr(credentials, "generate_password_hash", slow_hash)
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda i: register(app, f"user{i}").status_code, range(12)))
    assert statuses == [201] * 12
    assert state["most"] == 2


def test_a_login_that_waits_too_long_for_a_hash_is_a_503_that_costs_no_slot(monkeypatch):
    app = limited_app(LOGIN_FAILURES="1/minute", HASH_CONCURRENCY=1)
    hashing = app.extensions["todo.hashing"]
    monkeypatch.setattr(hashing, "wait", 0.01)
    with hashing.turn():   # every slot is taken by someone else
        response = get(app, WRONG)
    assert response.status_code == 503
    assert json.loads(response.data)["message"] == \
        "The server is busy checking passwords; try again shortly."
    # The password was never checked: its reserved slot was given back.
    assert get(app, RIGHT).status_code == 200


def test_a_request_that_waits_too_long_for_a_hash_is_a_503(monkeypatch):
    app = create_app({"STORE": "memory://", "REGISTRATION": "open", "HASH_CONCURRENCY": 1})
    hashing = app.extensions["todo.hashing"]
    monkeypatch.setattr(hashing, "wait", 0.01)
    with hashing.turn():   # every slot is taken by someone else
        response = register(app, "amy")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert json.loads(response.data)["message"] == \
        "The server is busy checking passwords; try again shortly."
    assert app.extensions["todo.store"].get_user("amy") is None
