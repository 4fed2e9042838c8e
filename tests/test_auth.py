"""Authentication: every method of every task route needs valid Basic credentials."""

import base64

import pytest
from werkzeug.security import generate_password_hash

from support import TASKS, basic, cheap_hash
from todo import create_app

ROUTES = [
    ("get", TASKS), ("post", TASKS),
    ("get", f"{TASKS}/1"), ("put", f"{TASKS}/1"), ("delete", f"{TASKS}/1"),
    ("head", TASKS), ("head", f"{TASKS}/1"),
]
def b64(text):
    return base64.b64encode(text.encode()).decode()


BAD_CREDENTIALS = {
    "none": {},
    "unknown user": basic("mallory", "alice-secret"),
    "wrong password": basic("alice", "wrong"),
    "empty password": basic("alice", ""),
    "other user's password": basic("alice", "bob-secret"),
    "garbled header": {"Authorization": "Basic !!!not-base64!!!"},
    "no colon": {"Authorization": "Basic YWxpY2U="},
    "unknown scheme": {"Authorization": "Digest username=alice"},
    # The right password, but not as Basic credentials (RFC 9110: only Basic is Basic).
    "another scheme": {"Authorization": "Foo " + b64("alice:alice-secret")},
    "digest scheme": {"Authorization": "Digest " + b64("alice:alice-secret")},
    # The right password with stray characters, which a lenient decoder drops.
    "not strict base64": {"Authorization": "Basic " + b64("alice:alice-secret")[:4] + "!"
                          + b64("alice:alice-secret")[4:]},
    # The same with characters token68 allows but base64 does not: only strict
    # decoding refuses these ("!" above is refused before decoding).
    **{f"stray {char!r}": {"Authorization": "Basic " + b64("alice:alice-secret")[:4] + char
                           + b64("alice:alice-secret")[4:]} for char in "-._~"},
    # The right password with surplus "=" after a complete quantum (CPython's strict
    # mode takes it), or with pad bits that are not zero: base64, but not RFC 4648's.
    **{f"surplus {pad!r}": {"Authorization": "Basic " + b64("alice:alice-secret") + pad}
       for pad in ("=", "==", "===", "====")},
    "surplus '=' after padding": {"Authorization": "Basic " + b64("bob:bob-secret") + "="},
    "non-zero pad bits": {"Authorization": "Basic " + b64("bob:bob-secret")[:-2] + "R="},
    "empty header": {"Authorization": ""},
}


@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize("credentials", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
def test_bad_credentials_are_refused_alike(client, store, method, path, credentials):
    # A body that would be invalid, and an id that does not exist: neither may leak.
    response = getattr(client, method)(path, headers=credentials, data=b"[1]" * 10,
                                       content_type="text/plain")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Authentication Required"'
    if method != "head":
        assert response.mimetype == "application/json"
        assert response.get_json() == {"error": "Unauthorized access"}
    assert store.list_tasks(store.get_user("alice")["id"]) == []


def test_a_body_over_the_limit_is_401_not_413_without_credentials(client):
    response = client.post(TASKS, data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 401


def test_good_credentials_pass(client, alice):
    assert client.get(TASKS, headers=alice).status_code == 200


# Credentials whose base64 needs no padding, one "=" and two "=".
PADDED = {"none": ("alice", "alice-secret"), "=": ("bob", "bob-secret"),
          "==": ("dave", "dave-secret")}


@pytest.mark.parametrize("padding", PADDED)
def test_credentials_pass_with_the_padding_their_base64_needs(client, store, padding):
    username, password = PADDED[padding]
    if store.get_user(username) is None:
        store.add_user(username, cheap_hash(password))
    token = b64(f"{username}:{password}")
    assert token[len(token.rstrip("=")):] == padding.replace("none", "")
    headers = {"Authorization": f"Basic {token}"}
    assert client.get(TASKS, headers=headers).status_code == 200


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "bAsIc"])
def test_the_basic_scheme_is_case_insensitive(client, scheme):
    headers = {"Authorization": f"{scheme} {b64('alice:alice-secret')}"}
    assert client.get(TASKS, headers=headers).status_code == 200


@pytest.mark.parametrize("path, allow", [
    (TASKS, "GET, HEAD, OPTIONS, POST"),
    (f"{TASKS}/1", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"),
    ("/todo-backend/todos", "DELETE, GET, HEAD, OPTIONS, POST"),
])
def test_options_needs_no_credentials_and_lists_the_methods_in_one_order(client, path, allow):
    response = client.options(path)
    assert response.status_code == 200
    assert response.headers["Allow"] == allow
    assert response.data == b""


@pytest.fixture
def app_403(store_url, monkeypatch):
    monkeypatch.setenv("TODO_AUTH_FAILURE_STATUS", "403")
    app = create_app({"STORE": store_url})
    app.extensions["todo.store"].add_user("alice", generate_password_hash("pw", "pbkdf2:sha256:1000"))
    yield app
    app.extensions["todo.store"].close()


@pytest.mark.parametrize("credentials", [{}, basic("alice", "wrong"), basic("nobody", "pw")])
def test_403_mode_is_the_articles_browser_trick(app_403, credentials):
    response = app_403.test_client().get(TASKS, headers=credentials)
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response.headers
    assert response.get_json() == {"error": "Unauthorized access"}
    assert app_403.test_client().get(TASKS, headers=basic("alice", "pw")).status_code == 200


@pytest.mark.real_password_hashes
def test_passwords_are_stored_only_as_hashes(tmp_path):
    app = create_app({"STORE": f"sqlite:///{tmp_path}/t.sqlite"})
    result = app.test_cli_runner().invoke(args=["users", "add", "carol", "--password-stdin"],
                                          input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    stored = app.extensions["todo.store"].get_user("carol")["password_hash"]
    assert "s3cret-pass" not in stored
    assert stored.startswith("scrypt:")
    assert b"s3cret-pass" not in (tmp_path / "t.sqlite").read_bytes()
    assert app.test_client().get(TASKS, headers=basic("carol", "s3cret-pass")).status_code == 200


def test_an_unknown_user_costs_one_hash_check_like_a_wrong_password(client, hash_checks):
    client.get(TASKS, headers=basic("nobody", "whatever"))
    unknown = hash_checks.calls
    client.get(TASKS, headers=basic("alice", "wrong"))
    assert unknown == hash_checks.calls - unknown == 1


def test_a_verified_password_is_not_hashed_again(client, alice, hash_checks):
    for _ in range(5):
        assert client.get(TASKS, headers=alice).status_code == 200
    assert hash_checks.calls == 1


def test_a_changed_password_takes_effect_at_once_despite_the_cache(client, alice, store):
    assert client.get(TASKS, headers=alice).status_code == 200
    # Change the hash behind the app's back, as another process would.
    store.remove_user("alice")
    store.add_user("alice", generate_password_hash("new-password", "pbkdf2:sha256:1000"))
    assert client.get(TASKS, headers=alice).status_code == 401
    assert client.get(TASKS, headers=basic("alice", "new-password")).status_code == 200


def test_a_removed_user_is_refused_at_once_despite_the_cache(client, alice, store):
    assert client.get(TASKS, headers=alice).status_code == 200
    store.remove_user("alice")
    assert client.get(TASKS, headers=alice).status_code == 401


def test_two_users_lists_are_isolated(client, alice, bob):
    a = client.post(TASKS, json={"title": "a"}, headers=alice).get_json()["task"]
    b = client.post(TASKS, json={"title": "b"}, headers=bob).get_json()["task"]
    assert client.get(TASKS, headers=alice).get_json()["tasks"] == [a]
    assert client.get(TASKS, headers=bob).get_json()["tasks"] == [b]
    assert client.get(b["uri"], headers=alice).status_code == 404
    assert client.put(b["uri"], json={"done": True}, headers=alice).status_code == 404
    assert client.delete(b["uri"], headers=alice).status_code == 404
    assert client.get(b["uri"], headers=bob).get_json() == {"task": b}
